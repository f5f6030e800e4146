import { Value } from '@sinclair/typebox/value';
import {
  DoctorReportSchema,
  doctorExitCode,
  doctorReport,
  doctorRow,
  renderDoctorTable,
  type DoctorVerdict,
} from '@failover/protocol';

const rows = (...verdicts: DoctorVerdict[]) => verdicts.map((v, i) => doctorRow(`check ${i}`, v, `detail ${i}`));

describe('doctor report', () => {
  it.each<[DoctorVerdict[], number, DoctorVerdict]>([
    [[], 0, 'pass'],
    [['pass', 'pass'], 0, 'pass'],
    [['pass', 'warn'], 0, 'warn'],
    [['warn', 'fail', 'pass'], 1, 'fail'],
  ])('rows %j exit %d with verdict %s', (verdicts, code, verdict) => {
    expect(doctorExitCode(rows(...verdicts))).toBe(code);
    expect(doctorReport('failover-agent', rows(...verdicts)).verdict).toBe(verdict);
  });

  it('keeps a detail to one line', () => {
    expect(doctorRow('config', 'fail', 'a: bad\n  b: worse\n').detail).toBe('a: bad; b: worse');
  });

  it('prints aligned columns and the counts', () => {
    const table = renderDoctorTable([
      doctorRow('config', 'pass', '/etc/failover/validator-config.json loaded'),
      doctorRow('auth_secret_file', 'warn', 'readable by its group'),
      doctorRow('tower file', 'fail', 'missing'),
    ]);
    expect(table).toBe(
      [
        'CHECK             RESULT  DETAIL',
        'config            PASS    /etc/failover/validator-config.json loaded',
        'auth_secret_file  WARN    readable by its group',
        'tower file        FAIL    missing',
        '',
        '1 passed, 1 warning, 1 failed',
        '',
      ].join('\n'),
    );
  });

  it('gives a JSON document its schema accepts', () => {
    const report = doctorReport('failover-manager', rows('pass', 'fail'));
    expect(Value.Check(DoctorReportSchema, report)).toBe(true);
    expect(report).toMatchObject({ passed: 1, warnings: 0, failed: 1 });
  });
});
