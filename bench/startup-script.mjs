// startup-script.js run as an ES module that imports the package by name (its ESM entry).
import { PreforkIPC } from 'parallel-prefork-ipc';
import main from './startup-script.js';

main(PreforkIPC);
