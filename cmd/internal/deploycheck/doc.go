// Package deploycheck holds the tests of the deployment files in deploy/,
// which holds no Go by the architecture rule; it has no code of its own.
// It lives under cmd/ because it checks the files against the binaries'
// configuration (cmd/internal/config), which only cmd/ may import.
//
// The tests, all offline:
//
//   - compose: deploy/compose/compose.yaml is loaded with compose-go, the
//     loader docker compose itself uses for `docker compose config`
//     (schema validation, interpolation, merge keys, normalisation and
//     consistency checks), with and without the "demo" profile, then its
//     stack is checked (two evalroomd nodes, media ports, health checks,
//     secrets only from .env) and each service's environment is loaded by
//     the real config loaders.
//   - docker: the Dockerfiles' stages, users and packages; the runtime
//     libraries of the edge image are the Debian packages that provide
//     the shared libraries the build links (found with pkg-config and
//     dpkg on this Debian machine).
//   - systemd: `systemd-analyze verify` (strict: no warning accepted) and
//     `systemd-analyze security --offline` on the units (the backup's
//     too) in a scratch root, systemd-sysusers and systemd-tmpfiles on
//     the sysusers.d and tmpfiles.d files, and the units' settings
//     against the defaults.
//   - k8s: every manifest decoded strictly into its k8s.io/api type
//     (unknown or mistyped fields fail), then selectors, probes, ports,
//     references and the pods' environment checked.
//   - settings: every EVALROOM_* name in deploy/ is a real setting of
//     evalroomd or evalroom-edge.
//   - monitoring: the Prometheus alert rules (structure, labels, Chinese
//     annotations, well-formed PromQL selecting only metrics the binaries
//     export, and with promtool installed its own checks and the rules'
//     unit tests), the Grafana dashboard's queries, the scrape
//     configuration against the compose stack, and compose's Prometheus
//     and Grafana services.
//   - backup: deploy/backup/pg-backup.sh and pg-restore.sh run with the
//     real pg_dump and pg_restore against the test PostgreSQL (backup,
//     checksum, retention, restore into an empty database, the refusals
//     and exit codes), shellcheck when installed, and the nightly
//     evalroom-backup.service/.timer against the script and tmpfiles.
package deploycheck
