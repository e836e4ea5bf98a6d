// Opens a DuckDB file read-only with whatever @duckdb/node-api is installed
// beside it (an older engine than the one the store links) and prints, as
// one JSON line, the engine's version and the row counts of the tables
// named after the path. core/duckdb's TestOldEnginesReadOurFiles runs it.
import { DuckDBInstance } from '@duckdb/node-api';

const [path, ...tables] = process.argv.slice(2);
try {
  const db = await DuckDBInstance.create(path, { access_mode: 'READ_ONLY' });
  const con = await db.connect();
  const out = { engine: (await con.runAndReadAll('SELECT version()')).getRows()[0][0], counts: {} };
  for (const t of tables) {
    out.counts[t] = Number((await con.runAndReadAll(`SELECT count(*) FROM "${t}"`)).getRows()[0][0]);
  }
  console.log(JSON.stringify(out));
} catch (e) {
  console.log(JSON.stringify({ error: String(e) }));
  process.exit(1);
}
