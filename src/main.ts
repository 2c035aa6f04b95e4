import { Command } from 'commander';
import { loadConfig, ConfigError, type Flags } from './config.ts';
import { createLogger, createPlatform } from './platform.ts';
import { startServer } from './server.ts';
import { StoreLockedError, StoreUnavailableError } from './store/database.ts';
import { MasterKeyError } from './store/master-key.ts';
import { VERSION } from './version.ts';
import { SwitchboardError } from './domain/errors.ts';
import { bootstrap, bootstrapLines, ensureDefaultCompany } from './services/bootstrap.ts';
import { CliError, resolveTarget, runCli } from './cli/client.ts';
import { listCompanies } from './store/companies.ts';
import { findCompany } from './store/members.ts';

function fail(err: unknown): never {
  // Operator mistakes (bad flags, an unknown company, a taken email, a wrong master key) get one
  // line, not a stack.
  if (err instanceof ConfigError || err instanceof StoreLockedError || err instanceof StoreUnavailableError || err instanceof MasterKeyError || err instanceof SwitchboardError) {
    process.stderr.write(`switchboard: ${err.message}\n`);
    process.exit(2);
  }
  // A command that talks to a server (trigger, listen, events tail) and finds none.
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  if (err instanceof TypeError && err.message === 'fetch failed') {
    process.stderr.write(`switchboard: cannot reach the Switchboard server (${cause?.message ?? cause?.code ?? "no answer"}); is it running? Pass its address with --api\n`);
    process.exit(2);
  }
  process.stderr.write(`switchboard: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
}

async function serve(flags: Flags) {
  const config = loadConfig(flags);
  // Logs go to stderr; stdout carries only the lines an operator or script reads.
  const logger = createLogger(config.logLevel, process.stderr);
  const server = await startServer(config, logger, (line) => process.stdout.write(line + '\n'));
  let signals = 0;
  const shutdown = (signal: string) => {
    if (++signals > 1) process.exit(1);
    logger.info({ signal }, 'shutting down');
    server.stop().then(
      () => process.exit(0),
      (err) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

const program = new Command()
  .name('switchboard')
  .description('Self-hosted API and webhook engine for conversational-AI platforms')
  .version(VERSION);

const serverOptions = (cmd: Command) =>
  cmd
    .option('--host <host>', 'address to listen on (SWITCHBOARD_HOST, default 127.0.0.1)')
    .option('--port <port>', 'port, 0 for any free one (SWITCHBOARD_PORT, default 8080)')
    .option('--data <dir>', 'embedded store folder (SWITCHBOARD_DATA_DIR, default ./data)')
    .option('--database <url>', 'postgres:// URL to use PostgreSQL (SWITCHBOARD_DATABASE_URL)')
    .option('--dev', 'local development: allow http:// and loopback webhook targets');

serverOptions(program.command('serve').description('run the API and the delivery worker'))
  .option('--role <role>', 'api, worker or all (SWITCHBOARD_ROLE, default all)')
  .action((opts: Flags) => serve(opts).catch(fail));

serverOptions(program.command('worker').description('run only the delivery worker (serve --role worker)')).action((opts: Flags) =>
  serve({ ...opts, role: 'worker' }).catch(fail),
);

serverOptions(program.command('migrate').description('apply store migrations and exit')).action(async (opts: Flags) => {
  try {
    const config = loadConfig(opts);
    const platform = await createPlatform(config, createLogger('warn', process.stderr));
    await platform.close();
    process.stdout.write('migrations applied\n');
  } catch (err) {
    fail(err);
  }
});

const ROLES = ['owner', 'admin', 'agent'] as const;

serverOptions(
  program
    .command('keys')
    .description('create an API key for a company: keys create --company default|cmp_... (the old form `keys <company>` works too)')
    .argument('[create|company]', '"create", or the company (id or name) in the older form'),
)
  .option('--company <id-or-name>', 'the company (id or name; `switchboard companies` lists them)')
  .option('--role <role>', 'owner, admin or agent', 'admin')
  .option('--name <name>', 'a label for the key', 'cli')
  .action(async (arg: string | undefined, opts: Flags & { company?: string; role: string; name: string }) => {
    const company = arg && arg !== 'create' ? arg : opts.company;
    if (!company) throw new ConfigError('name the company: switchboard keys create --company default|cmp_... (`switchboard companies` lists them)');
    if (!(ROLES as readonly string[]).includes(opts.role)) throw new ConfigError(`--role must be one of: ${ROLES.join(', ')} (got "${opts.role}")`);
    await withPlatform(opts, async (platform) => {
      // On a fresh store, before the first `serve`, company "default" is made here (its owner key
      // is left to `serve`, which prints it, or SWITCHBOARD_BOOTSTRAP_KEY).
      await ensureDefaultCompany(platform);
      const found = await findCompany(platform.database.db, company);
      if (!found) throw new ConfigError(`no company "${company}"; \`switchboard companies\` lists their ids and names`);
      const key = await platform.services.keys.createKey(found.id, opts.name, opts.role as (typeof ROLES)[number]);
      process.stdout.write(key.key + '\n');
    });
  });

serverOptions(program.command('companies').description('list the companies (id and name)')).action(async (opts: Flags) => {
  await withPlatform(opts, async (platform) => {
    await ensureDefaultCompany(platform);
    for (const c of await listCompanies(platform.database.db)) process.stdout.write(`${c.id}  ${c.name}\n`);
  });
});

/** Opens the store for a one-shot command and closes it whatever happens. */
async function withPlatform(opts: Flags, fn: (platform: Awaited<ReturnType<typeof createPlatform>>) => Promise<void>) {
  const config = loadConfig({ ...opts, role: undefined });
  const platform = await createPlatform(config, createLogger('warn', process.stderr));
  try {
    await fn(platform);
  } finally {
    await platform.close();
  }
}

const members = program.command('members').description('console members (people who sign in at /console)');

serverOptions(members.command('add').description('add a console member; prints a one-time password unless --password-stdin'))
  .requiredOption('--email <email>', 'their email, used to sign in')
  .option('--role <role>', 'owner, admin or agent', 'admin')
  .option('--company <id-or-name>', 'the company (id or name)', 'default')
  .option('--name <name>', 'display name (default: the part of the email before @)')
  .option('--password-stdin', 'read the password from standard input instead of generating one')
  .action(async (opts: Flags & { email: string; role: string; company: string; name?: string; passwordStdin?: boolean }) => {
    try {
      const config = loadConfig({ ...opts, role: undefined });
      let password: string | undefined;
      if (opts.passwordStdin) {
        const chunks: Buffer[] = [];
        for await (const c of process.stdin) chunks.push(c as Buffer);
        password = Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
        if (!password) throw new ConfigError('--password-stdin: standard input was empty');
      }
      const platform = await createPlatform(config, createLogger('warn', process.stderr));
      try {
        // On a fresh store the first owner may come before the first `serve`: create company
        // "default" the way the server would (printing its generated owner key once).
        for (const line of bootstrapLines(await bootstrap(platform, config.bootstrapKey))) process.stdout.write(line + '\n');
        const company = await platform.services.members.company(opts.company);
        const res = await platform.services.members.add(company.id, { email: opts.email, name: opts.name, role: opts.role, password });
        process.stdout.write(`added ${res.member.role} ${res.member.email} (${res.member.id}) to company "${company.name}"\n`);
        if (res.password) process.stdout.write(`one-time password (shown once): ${res.password}\n`);
      } finally {
        await platform.close();
      }
    } catch (err) {
      fail(err);
    }
  });

// Client-side commands (src/cli/): they talk to a running server over HTTP. Their mistakes (server
// down, bad key, busy port) are one line and exit code 2 (runCli).
const clientOptions = (cmd: Command) =>
  cmd
    .option('--api <url>', 'the server (SWITCHBOARD_API_URL, default http://127.0.0.1:8080)')
    .option('--key <key>', 'an owner or admin API key (SWITCHBOARD_API_KEY; else the key `npm run dev` saved in the data folder)');
const printLine = (line: string) => process.stdout.write(line + '\n');
const patternsOf = (events: string) => events.split(',').map((p) => p.trim()).filter(Boolean);

clientOptions(
  program
    .command('listen')
    .description('forward the company\'s events to a local URL through a listener session (no public URL needed); or, with only --port, run a bare local receiver'),
)
  .option('--forward-to <url>', 'the local URL to POST each event to, e.g. http://127.0.0.1:3000/hooks')
  .option('--events <patterns>', 'event patterns, comma-separated (e.g. \'message.*\')', '*')
  .option('--host <host>', 'receiver mode (no --forward-to): address to listen on', '127.0.0.1')
  .option('--port <port>', 'receiver mode (no --forward-to): port, 0 picks a free one')
  .option('--secret <whsec>', 'receiver mode: the signing secret to check signatures with')
  .option('--status <code>', 'receiver mode: status code to answer with', '200')
  .action((opts: { forwardTo?: string; events: string; api?: string; key?: string; host: string; port?: string; secret?: string; status: string }) =>
    runCli(async () => {
      const { forward, receive } = await import('./cli/listen.ts');
      if (!opts.forwardTo) {
        if (opts.port === undefined) throw new CliError('pass --forward-to http://127.0.0.1:3000/hooks (where your receiver listens), or --port N for a bare local receiver');
        await receive({ host: opts.host, port: Number(opts.port), secret: opts.secret, status: Number(opts.status), print: printLine });
        return;
      }
      const session = await forward({ target: resolveTarget(opts), forwardTo: opts.forwardTo, events: patternsOf(opts.events), print: printLine });
      let ending = false;
      const end = () => {
        if (ending) process.exit(1);
        ending = true;
        session.close().then(() => process.exit(0));
      };
      process.on('SIGINT', end);
      process.on('SIGTERM', end);
      await session.done;
    }),
  );

clientOptions(
  program
    .command('trigger')
    .description('cause a real event of a type through the API (every subscribed endpoint and listener gets it); --webhook sends one test event to one endpoint')
    .argument('<event-type>', 'e.g. message.received'),
)
  .option('--webhook <id>', 'send an example event to this endpoint only (POST /v1/webhooks/{id}/test)')
  .action((type: string, opts: { webhook?: string; api?: string; key?: string }) =>
    runCli(async () => {
      const { trigger, triggerTest } = await import('./cli/trigger.ts');
      const target = resolveTarget(opts);
      if (opts.webhook) await triggerTest(target, opts.webhook, type, printLine);
      else await trigger(target, type, printLine);
    }),
  );

clientOptions(program.command('events').command('tail').description('print the company\'s events as they happen'))
  .option('--events <patterns>', 'event patterns, comma-separated', '*')
  .action((opts: { events: string; api?: string; key?: string }) =>
    runCli(async () => {
      const { eventsTail } = await import('./cli/events-tail.ts');
      const stop = new AbortController();
      process.on('SIGINT', () => stop.abort());
      process.on('SIGTERM', () => stop.abort());
      await eventsTail(resolveTarget(opts), patternsOf(opts.events), printLine, stop.signal);
    }),
  );

// Any command's failure goes through fail(): one line for an operator mistake, never a stack.
await program.parseAsync(process.argv).catch(fail);
