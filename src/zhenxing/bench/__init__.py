"""`zhenxing bench`: how fast zhenxing is, and how its cost grows with the data.

Not a Django app (no models, no migrations): a load generator and its report.

- `measure`: percentiles and throughput, and the threaded keep-alive HTTP load
  generator that times requests against the live server;
- `floors`: for each read, one hand-written SQL query that returns the same
  numbers as the endpoint, timed beside it (the floor: what the database alone
  needs to answer);
- `report`: the issue's targets, their evaluation, the table and the JSON;
- `runner`: one scale end to end (database, real server, logins, measurements);
- `views` / `urls`: the bench-only minimal intake view and a bare "hello",
  routed only when `ZHENXING_BENCH_VIEWS` is on, so production never serves them.

See docs/scaling.md for how to run it and what the figures were.
"""
