// Who acts from a command line: the OS user on this host, audited with `cli@<host>` as the address.
import os from 'node:os';

/** Who acts: a user and where from. */
export interface Operator {
  user: string;
  address: string;
}

export function cliOperator(): Operator {
  let user: string;
  try {
    user = os.userInfo().username;
  } catch {
    // A container user without a passwd entry.
    user = process.env.USER ?? process.env.LOGNAME ?? `uid${process.getuid?.() ?? '?'}`;
  }
  return { user, address: `cli@${os.hostname()}` };
}
