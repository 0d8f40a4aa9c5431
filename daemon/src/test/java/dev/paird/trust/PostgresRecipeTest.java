package dev.paird.trust;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.paird.testing.Processes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The PostgreSQL recipe of docs/INTEGRATION.md, run as written over loopback: a throw-away cluster
 * takes client certificates from {@code trusted.pem} ({@code ssl_ca_file}) and authenticates by
 * them ({@code hostssl ... cert}); {@code psql} as the paired device, with {@code
 * sslmode=verify-full} against its own {@code trusted.pem} and the server's host name. Skipped
 * where PostgreSQL 15 is not installed.
 */
final class PostgresRecipeTest {
  private static final Path BIN = Path.of("/usr/lib/postgresql/15/bin");
  private static final Path PSQL = Path.of("/usr/bin/psql");

  /** A fixed port, because the server's configuration names one. */
  private static final int PORT = 42620;

  /** PostgreSQL refuses to run as root; as root the test runs the server as this user. */
  private static final String SERVER_USER = "postgres";

  private static final long PATIENCE_SECONDS = 30;

  @TempDir Path dir;
  private Path data;
  private Path log;

  @AfterEach
  void stop() {
    if (data == null || !Files.exists(data.resolve("postmaster.pid"))) {
      return;
    }
    Processes.Result stopped = pgCtlStop("fast");
    if (stopped.exitStatus() != 0) {
      // Never leave a server behind: immediate does not wait for anything.
      stopped = pgCtlStop("immediate");
    }
    assertThat(stopped.exitStatus()).as("pg_ctl stop: %s", stopped.output()).isZero();
  }

  private Processes.Result pgCtlStop(String mode) {
    return asServer(
        BIN.resolve("pg_ctl").toString(),
        "stop",
        "-D",
        data.toString(),
        "-m",
        mode,
        "-w",
        "-t",
        Long.toString(PATIENCE_SECONDS));
  }

  @Test
  void postgres_pairedClientRunsAQuery_andAnUnpairedOneCannot() throws Exception {
    assumeInstalled();
    Path a = RecipeDevices.device(dir, "kitchen-pi");
    Path b = RecipeDevices.device(dir, "laptop");
    Path stranger = RecipeDevices.device(dir, "stranger");
    RecipeDevices.trust(a, b);
    RecipeDevices.trust(b, a);
    RecipeDevices.trust(stranger, a);
    startPostgres(a);

    Processes.Result paired = selectOne(b, "kitchen-pi");
    assertThat(paired.output().strip()).as("the paired device: %s", paired.output()).isEqualTo("1");
    Processes.Result local = selectOne(b, "kitchen-pi.local");
    assertThat(local.output().strip()).as("by its .local name: %s", local.output()).isEqualTo("1");
    Processes.Result otherName = selectOne(b, "printer");
    assertThat(otherName.exitStatus())
        .as("a name the server's certificate does not carry: %s", otherName.output())
        .isNotZero();
    Processes.Result unpaired = selectOne(stranger, "kitchen-pi");
    assertThat(unpaired.exitStatus()).as("an unpaired device: %s", unpaired.output()).isNotZero();
  }

  @Test
  void postgres_removedDevice_isRefusedAfterTheReload() throws Exception {
    assumeInstalled();
    Path a = RecipeDevices.device(dir, "kitchen-pi");
    Path b = RecipeDevices.device(dir, "laptop");
    // A second peer, so that removing b leaves a list PostgreSQL can load.
    Path other = RecipeDevices.device(dir, "phone");
    RecipeDevices.trust(a, b);
    RecipeDevices.trust(a, other);
    RecipeDevices.trust(b, a);
    startPostgres(a);
    Processes.Result before = selectOne(b, "kitchen-pi");
    assertThat(before.output().strip()).as("while paired: %s", before.output()).isEqualTo("1");

    RecipeDevices.untrust(a, b);
    reload();

    Processes.Result after = selectOne(b, "kitchen-pi");
    assertThat(after.exitStatus()).as("once removed: %s", after.output()).isNotZero();
  }

  @Test
  void postgres_emptyList_keepsTheOldListAtTheReload() throws Exception {
    assumeInstalled();
    Path a = RecipeDevices.device(dir, "kitchen-pi");
    Path b = RecipeDevices.device(dir, "laptop");
    RecipeDevices.trust(a, b);
    RecipeDevices.trust(b, a);
    startPostgres(a);

    RecipeDevices.untrust(a, b);
    assertThat(a.resolve("trusted.pem")).isEmptyFile();
    reload();

    // What the recipe warns of: the empty file is refused, the old list stays in force.
    Processes.Result after = selectOne(b, "kitchen-pi");
    assertThat(after.output().strip())
        .as("the last peer removed, still accepted: %s", after.output())
        .isEqualTo("1");
  }

  private static void assumeInstalled() {
    for (Path tool :
        List.of(BIN.resolve("initdb"), BIN.resolve("postgres"), BIN.resolve("pg_ctl"), PSQL)) {
      assumeThat(Files.isExecutable(tool)).as("%s is installed", tool).isTrue();
    }
  }

  /**
   * Starts a cluster in the test's directory configured with the recipe's lines, {@code server}'s
   * identity and trusted list, with roles named as the devices' certificates are.
   */
  private void startPostgres(Path server) throws Exception {
    // The server user must reach the state directory, as the recipe says of the 0711 one.
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx--x--x"));
    Files.setPosixFilePermissions(server, PosixFilePermissions.fromString("rwx--x--x"));
    // Copies of the identity, the server user's, as the recipe's comment has them.
    Path etc =
        ownedByServer(
            Files.createDirectory(
                dir.resolve("etc"),
                PosixFilePermissions.asFileAttribute(
                    PosixFilePermissions.fromString("rwx------"))));
    Path cert =
        ownedByServer(Files.copy(server.resolve("identity/cert.pem"), etc.resolve("c.pem")));
    Path key = ownedByServer(Files.copy(server.resolve("identity/key.pem"), etc.resolve("k.pem")));
    Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-------"));
    log = ownedByServer(Files.createFile(etc.resolve("postgres.log")));
    data = ownedByServer(Files.createDirectory(dir.resolve("data")));
    run(
        asServer(
            BIN.resolve("initdb").toString(),
            "-D",
            data.toString(),
            "--no-locale",
            "--no-sync",
            "--auth-local=peer",
            "--auth-host=reject"),
        "initdb");
    String conf =
        String.join(
            "\n",
            "listen_addresses = '127.0.0.1'",
            "port = " + PORT,
            "unix_socket_directories = '" + data + "'",
            "lc_messages = 'C'",
            // The recipe's lines.
            "ssl = on",
            "ssl_cert_file = '" + cert + "'",
            "ssl_key_file  = '" + key + "'",
            "ssl_ca_file   = '" + server.resolve("trusted.pem") + "'",
            "");
    Files.writeString(data.resolve("postgresql.conf"), conf, StandardOpenOption.APPEND);
    Files.writeString(
        data.resolve("pg_hba.conf"),
        String.join(
            "\n",
            // For the test's own administration over the Unix socket in the data directory.
            "local all all peer",
            // The recipe's line.
            "hostssl all all 0.0.0.0/0 cert",
            ""));
    // pg_ctl -w returns once the server accepts connections, not merely once it listens.
    run(
        asServer(
            BIN.resolve("pg_ctl").toString(),
            "start",
            "-D",
            data.toString(),
            "-l",
            log.toString(),
            "-w",
            "-t",
            Long.toString(PATIENCE_SECONDS)),
        "pg_ctl start");
    // The cert method takes the certificate's common name as the role name.
    admin("CREATE ROLE laptop LOGIN; CREATE ROLE stranger LOGIN; CREATE ROLE phone LOGIN;");
  }

  /**
   * What the recipe's trust-changed program does, the SQL way: {@code SELECT pg_reload_conf()};
   * then waits until the server's log says it received the signal. The server reloads within the
   * handling of that one signal, before it accepts another connection, so a connection made
   * afterwards meets the reloaded list.
   */
  private void reload() throws Exception {
    long reloads = reloads();
    admin("SELECT pg_reload_conf();");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(PATIENCE_SECONDS);
    while (reloads() == reloads) {
      assertThat(System.nanoTime() < deadline)
          .as("postgres reloaded: %s", Files.readString(log))
          .isTrue();
      // A poll interval between looks at the log, not a guess at when the reload is done.
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
    }
  }

  /** How many times the server's log says it was told to reload. */
  private long reloads() throws IOException {
    return Files.readAllLines(log).stream()
        .filter(line -> line.contains("received SIGHUP, reloading configuration files"))
        .count();
  }

  /** Runs {@code sql} as the cluster's superuser over its Unix socket. */
  private void admin(String sql) {
    run(
        asServer(
            PSQL.toString(),
            "-X",
            "-v",
            "ON_ERROR_STOP=1",
            "-h",
            data.toString(),
            "-p",
            Integer.toString(PORT),
            "-d",
            "postgres",
            "-c",
            sql),
        "psql " + sql);
  }

  /**
   * {@code SELECT 1} by {@code device} as the recipe's client: its own certificate, {@code
   * verify-full} against its {@code trusted.pem}, the server called {@code host} (at 127.0.0.1).
   */
  private static Processes.Result selectOne(Path device, String host) {
    String connection =
        String.join(
            " ",
            "host=" + host,
            "hostaddr=127.0.0.1",
            "port=" + PORT,
            "dbname=postgres",
            "user=" + device.getFileName(),
            "sslmode=verify-full",
            "sslrootcert=" + device.resolve("trusted.pem"),
            "sslcert=" + device.resolve("identity/cert.pem"),
            "sslkey=" + device.resolve("identity/key.pem"));
    return Processes.run(PSQL.toString(), "-X", "-tA", "-c", "SELECT 1", connection);
  }

  private static void run(Processes.Result result, String what) {
    assertThat(result.exitStatus()).as("%s: %s", what, result.output()).isZero();
  }

  private static boolean root() {
    return "root".equals(System.getProperty("user.name"));
  }

  /**
   * Runs {@code command} as the server's user: {@value #SERVER_USER} when the test runs as root.
   */
  private static Processes.Result asServer(String... command) {
    List<String> full = new ArrayList<>();
    if (root()) {
      full.addAll(
          List.of(
              "setpriv",
              "--reuid=" + SERVER_USER,
              "--regid=" + SERVER_USER,
              "--init-groups",
              "--"));
    }
    full.addAll(List.of(command));
    return Processes.run(full);
  }

  private static Path ownedByServer(Path path) throws IOException {
    if (root()) {
      UserPrincipalLookupService users = path.getFileSystem().getUserPrincipalLookupService();
      Files.setOwner(path, users.lookupPrincipalByName(SERVER_USER));
    }
    return path;
  }
}
