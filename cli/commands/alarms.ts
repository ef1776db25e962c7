import type { Command } from 'commander';
import type { AlarmEntry } from '../../client';
import { action, clientFor, globalsOf, type RunState } from '../command-kit';
import type { CliContext } from '../context';
import { EXIT } from '../exit-codes';
import { type Color, formatTable, json, paint } from '../output';

const STATE_COLORS: Record<AlarmEntry['state'], Color> = {
  ALARM: 'red',
  OK: 'green',
  INSUFFICIENT_DATA: 'dim',
};

/** The alarm's own words first; its CloudFormation name is in --json. */
const alarmTable = (ctx: CliContext, alarms: readonly AlarmEntry[]) =>
  formatTable(
    ['STATE', 'ALARM', 'SINCE', 'REASON'],
    alarms.map((alarm) => [
      paint(ctx.stdout, STATE_COLORS[alarm.state], alarm.state),
      alarm.description || alarm.name,
      alarm.since,
      alarm.reason,
    ]),
  );

/** alarms: the stack's CloudWatch alarms and their states (admins). */
export const registerAlarmsCommand = (program: Command, ctx: CliContext, state: RunState): void => {
  program
    .command('alarms')
    .description(
      'the stack’s alarms: ALARM first, then OK / INSUFFICIENT_DATA, with reason and since when (admins)',
    )
    .action(
      action(state, async (_options, command: Command) => {
        const alarms = await clientFor(ctx, command).alarms();
        if (globalsOf(command).json) ctx.stdout.write(json(alarms));
        else if (alarms.length === 0) ctx.stdout.write('The stack has no alarms.\n');
        else ctx.stdout.write(alarmTable(ctx, alarms));
        return EXIT.ok;
      }),
    );
};
