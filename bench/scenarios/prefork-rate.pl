#!/usr/bin/perl
# The Perl baseline of bench/scenarios/lifetimes.js: plain Parallel::Prefork,
# `total` children that fork and exit at once, at most `max` alive together.
# Prints one JSON line: {"lifetimesPerSec": …, "lifetimes": …}.
use strict;
use warnings;
use Parallel::Prefork;
use Time::HiRes qw(time);

my ($total, $max) = @ARGV;
my ($spawned, $reaped) = (0, 0);
my $pm = Parallel::Prefork->new({
    max_workers   => $max,
    trap_signals  => { TERM => 'TERM' },
    before_fork   => sub { my $pm = shift; $pm->max_workers(0) if ++$spawned >= $total },
    on_child_reap => sub {
        my ($pm, $pid, $status) = @_;
        die "child exited with $status\n" if $status != 0;
        $pm->signal_received('TERM') if ++$reaped >= $total;
    },
});
my $started = time;
until ($pm->signal_received) {
    $pm->start and next;
    $pm->finish(0);
}
$pm->wait_all_children;
my $seconds = time - $started;
printf qq({"lifetimesPerSec":%.3f,"lifetimes":%d}\n), $reaped / $seconds, $reaped;
