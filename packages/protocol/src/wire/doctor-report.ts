/**
 * What `failover-agent doctor` and `failover-manager doctor` print: one row per check with a
 * verdict, as a table for people or as one JSON document (`--json`), and the exit code the
 * rows give. Both programs print the same shape, so scripts read either the same way.
 */
import { Type, type Static } from '@sinclair/typebox';

/** A check's verdict: `fail` makes the doctor exit 1; `warn` alone does not. */
export const DoctorVerdictSchema = Type.Union([Type.Literal('pass'), Type.Literal('warn'), Type.Literal('fail')], {
  description: 'pass, warn (exit 0) or fail (exit 1).',
});

/** One check of a doctor run. */
export const DoctorRowSchema = Type.Object(
  {
    check: Type.String({ description: 'What was checked: a config key, a file, a host.' }),
    verdict: DoctorVerdictSchema,
    detail: Type.String({ description: 'One line naming the key, file or host and what was found.' }),
  },
  { additionalProperties: false },
);

/** The `--json` document of a doctor run. */
export const DoctorReportSchema = Type.Object(
  {
    program: Type.Union([Type.Literal('failover-agent'), Type.Literal('failover-manager')]),
    verdict: DoctorVerdictSchema,
    passed: Type.Integer({ minimum: 0 }),
    warnings: Type.Integer({ minimum: 0 }),
    failed: Type.Integer({ minimum: 0 }),
    rows: Type.Array(DoctorRowSchema),
  },
  { additionalProperties: false },
);

export type DoctorVerdict = Static<typeof DoctorVerdictSchema>;
export type DoctorRow = Static<typeof DoctorRowSchema>;
export type DoctorReport = Static<typeof DoctorReportSchema>;

/** Builds a row; the detail is kept to one line. */
export function doctorRow(check: string, verdict: DoctorVerdict, detail: string): DoctorRow {
  return { check, verdict, detail: detail.trim().replace(/\s*\n\s*/g, '; ') };
}

/** The worst verdict of `rows`: `fail` over `warn` over `pass`; no rows is `pass`. */
export function overallVerdict(rows: readonly DoctorRow[]): DoctorVerdict {
  if (rows.some((row) => row.verdict === 'fail')) return 'fail';
  return rows.some((row) => row.verdict === 'warn') ? 'warn' : 'pass';
}

/** The doctor's exit code: 1 when a check failed, 0 otherwise (warnings alone included). */
export function doctorExitCode(rows: readonly DoctorRow[]): 0 | 1 {
  return overallVerdict(rows) === 'fail' ? 1 : 0;
}

function counts(rows: readonly DoctorRow[]): Pick<DoctorReport, 'passed' | 'warnings' | 'failed'> {
  const count = (verdict: DoctorVerdict): number => rows.filter((row) => row.verdict === verdict).length;
  return { passed: count('pass'), warnings: count('warn'), failed: count('fail') };
}

/** The `--json` document of `rows`. */
export function doctorReport(program: DoctorReport['program'], rows: readonly DoctorRow[]): DoctorReport {
  return { program, verdict: overallVerdict(rows), ...counts(rows), rows: [...rows] };
}

/** `rows` as a table: check, verdict and detail in aligned columns, then a count of each verdict. */
export function renderDoctorTable(rows: readonly DoctorRow[]): string {
  const width = Math.max('CHECK'.length, ...rows.map((row) => row.check.length));
  const line = (check: string, verdict: string, detail: string): string =>
    `${check.padEnd(width)}  ${verdict.padEnd(6)}  ${detail}`.trimEnd();
  const { passed, warnings, failed } = counts(rows);
  return [
    line('CHECK', 'RESULT', 'DETAIL'),
    ...rows.map((row) => line(row.check, row.verdict.toUpperCase(), row.detail)),
    '',
    `${passed} passed, ${warnings} warning${warnings === 1 ? '' : 's'}, ${failed} failed`,
    '',
  ].join('\n');
}
