// Output helpers shared by every command: tables and colour that follow the
// terminal (colour off when piped or when NO_COLOR is set), plain text for scripts.

import { Chalk, type ChalkInstance } from 'chalk';
import Table from 'cli-table3';

export function colourEnabled(stream: NodeJS.WriteStream = process.stdout): boolean {
  if (process.env['NO_COLOR'] !== undefined && process.env['NO_COLOR'] !== '') return false;
  if (process.env['FORCE_COLOR'] !== undefined && process.env['FORCE_COLOR'] !== '0') return true;
  return stream.isTTY === true;
}

export function paint(stream: NodeJS.WriteStream = process.stdout): ChalkInstance {
  return new Chalk({ level: colourEnabled(stream) ? 1 : 0 });
}

export function renderTable(head: readonly string[], rows: readonly (readonly string[])[]): string {
  const coloured = colourEnabled();
  const table = new Table({
    head: head.map((title) => (coloured ? paint().bold(title) : title)),
    // cli-table3 colours borders even when piped: empty styles keep plain output plain.
    style: coloured ? { head: [], border: ['grey'] } : { head: [], border: [] },
    chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' },
  });
  for (const row of rows) table.push([...row]);
  return table.toString();
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(value < 10 ? 2 : 1)} ${units[unit]}`;
}
