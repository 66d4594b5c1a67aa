// Loads every task module so that the registry is complete (what worker, call, shell and monitoring read).
import './core.js';
