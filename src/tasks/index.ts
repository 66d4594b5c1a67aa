// Loads every task module so that the registry is complete (what worker, call, shell and monitoring read).
import './core.js';
import './gracedb.js';
import './superevents.js';
import './first2years.js';
import './external-triggers.js';
import './first2years-external.js';
import './raven.js';
import './circulars.js';
import './grb-searches.js';
import './medium-latency-circular.js';
import './orchestrator.js';
import './localization.js';
import './external-skymaps.js';
