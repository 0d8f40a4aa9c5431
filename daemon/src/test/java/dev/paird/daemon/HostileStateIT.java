package dev.paird.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.paird.testing.OpenSslCli;
import dev.paird.testing.OpenSslCli.KeyType;
import dev.paird.testing.OpenSslCli.SelfSigned;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real paird refuses hostile or damaged local files at start-up, at once, with a message that
 * says what is wrong and how to fix it, and exit status 78, which the unit's
 * RestartPreventExitStatus keeps from becoming a restart loop. Before, a FIFO named trusted.json
 * hung start-up for ever and a 15 MB list died in an OutOfMemoryError (exit 1, restarted every 5
 * s).
 */
final class HostileStateIT {
  /** The refusal comes as soon as the JVM has started; this allows for a loaded machine. */
  private static final Duration PROMPTLY = Duration.ofSeconds(10);

  @TempDir Path tmp;

  private Path state;
  private final List<PairdProcess> started = new ArrayList<>();

  @BeforeEach
  void stateDirectory() throws Exception {
    state =
        Files.createDirectory(
            tmp.resolve("state"),
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
  }

  @AfterEach
  void stop() throws Exception {
    for (PairdProcess paird : started) {
      paird.close();
    }
  }

  @Test
  void trustedListOf20Megabytes_isRefusedBySize() throws Exception {
    byte[] huge = new byte[20 * 1000 * 1000];
    Arrays.fill(huge, (byte) ' ');
    byte[] head = "{\"version\": 1, \"peers\": [".getBytes(StandardCharsets.US_ASCII);
    System.arraycopy(head, 0, huge, 0, head.length);
    Files.write(state.resolve("trusted.json"), huge);

    assertRefused(
        defaults(),
        "the trusted-peer list "
            + state.resolve("trusted.json")
            + " is unusable: it is larger than 16 MiB");
  }

  @Test
  void trustedListThatIsAFifo_isRefusedWithoutWaitingForAWriter() throws Exception {
    Process mkfifo = new ProcessBuilder("mkfifo", state.resolve("trusted.json").toString()).start();
    assertThat(mkfifo.waitFor()).isZero();

    assertRefused(defaults(), "is unusable: it is not a regular file");
  }

  @Test
  void trustedListThatIsASymlink_isRefusedWithoutShowingTheOtherFile() throws Exception {
    Path other = Files.writeString(tmp.resolve("shadow"), "zq7firsttoken:$6$salt$hash:19000::\n");
    Files.createSymbolicLink(state.resolve("trusted.json"), other);

    PairdProcess paird = assertRefused(defaults(), "is unusable: it is a symbolic link");
    assertThat(paird.log()).doesNotContain("zq7firsttoken");
  }

  @Test
  void stateDirectoryWritableByEveryone_isRefusedWithTheChmodThatFixesIt() throws Exception {
    Files.setPosixFilePermissions(state, PosixFilePermissions.fromString("rwxrwxrwx"));

    assertRefused(
        defaults(),
        "cannot use the state directory " + state + ": other users can write to it (mode 0777)",
        "`chmod 700 " + state + "`");
  }

  @Test
  void stateDirectoryOwnedByAnotherUser_isRefused() throws Exception {
    assumeTrue(Files.getAttribute(tmp, "unix:uid").equals(0), "needs root to give it away");
    UserPrincipal nobody =
        tmp.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("nobody");
    Files.setOwner(state, nobody);

    assertRefused(
        defaults(),
        "cannot use the state directory "
            + state
            + ": it is owned by"
            + " nobody (uid 65534), not by uid 0 that paird runs as");
  }

  @Test
  void generatedKeyReadableByEveryone_isRefusedNamingModeAndFix() throws Exception {
    Path identity = Files.createDirectory(state.resolve("identity"));
    SelfSigned files = OpenSslCli.newSelfSigned(identity, "device", KeyType.EC_P256);
    Files.move(files.cert(), identity.resolve("cert.pem"));
    Path key = Files.move(files.key(), identity.resolve("key.pem"));
    Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-r--r--"));

    assertRefused(
        defaults(),
        "the key file " + key + " can be read by every user (mode 0644)",
        "`chmod 600 " + key + "`");
  }

  @Test
  void configuredKeyReadableByEveryone_isRefusedNamingTheConfigLine() throws Exception {
    SelfSigned files = OpenSslCli.newSelfSigned(tmp, "device", KeyType.EC_P256);
    Files.setPosixFilePermissions(files.key(), PosixFilePermissions.fromString("rw-rw-rw-"));
    Path config = configFile(files.cert(), files.key());

    assertRefused(
        List.of("--config", config.toString(), "--state-dir", state.toString()),
        config + ":2: the key file " + files.key() + " can be read by every user (mode 0666)");
  }

  /** A group that may change the key could put its own in place: refused, whatever the group. */
  @Test
  void configuredKeyItsGroupMayChange_isRefusedNamingTheGroupAndTheFix() throws Exception {
    SelfSigned files = OpenSslCli.newSelfSigned(tmp, "device", KeyType.EC_P256);
    Files.setPosixFilePermissions(files.key(), PosixFilePermissions.fromString("rw--w----"));
    String group = Files.readAttributes(files.key(), PosixFileAttributes.class).group().getName();
    Path config = configFile(files.cert(), files.key());

    assertRefused(
        List.of("--config", config.toString(), "--state-dir", state.toString()),
        config
            + ":2: the key file "
            + files.key()
            + " can be changed by every member of the group "
            + group
            + " (mode 0620)",
        "`chmod 600 " + files.key() + "`");
  }

  /**
   * An error about the certificate file names the certificate's setting, and one about the key file
   * the key's, even when both settings name the same file.
   */
  @Test
  void keyFileGivenAsBoth_isRefusedNamingTheCertificateSetting() throws Exception {
    SelfSigned files = OpenSslCli.newSelfSigned(tmp, "device", KeyType.EC_P256);
    Path config = configFile(files.key(), files.key());

    assertRefused(
        List.of("--config", config.toString(), "--state-dir", state.toString()),
        config + ":1: the certificate file " + files.key() + " contains a private key");
    assertRefused(
        List.of(
            "--state-dir",
            state.toString(),
            "--cert",
            files.key().toString(),
            "--key",
            files.key().toString()),
        "--cert: the certificate file " + files.key() + " contains a private key");
  }

  @Test
  void certificateFileGivenAsTheKey_isRefusedNamingTheKeySetting() throws Exception {
    SelfSigned files = OpenSslCli.newSelfSigned(tmp, "device", KeyType.EC_P256);
    Path config = configFile(files.cert(), files.cert());

    PairdProcess paird =
        assertRefused(
            List.of("--config", config.toString(), "--state-dir", state.toString()),
            config + ":2: ");
    assertThat(paird.log()).doesNotContain(config + ":1: ");
  }

  /**
   * A listen name that does not resolve is refused before anything is created, with exit status 1,
   * which systemd retries: at boot the name may resolve only once the network is up.
   */
  @Test
  void listenNameThatDoesNotResolve_isRefusedBeforeTheStateDirectoryIsMade() throws Exception {
    Path fresh = tmp.resolve("fresh");
    Path config =
        Files.writeString(tmp.resolve("paird.conf"), "# paird\nlisten = paird.invalid:0\n");

    assertRefusedExactly(
        1,
        List.of(
            "--config",
            config.toString(),
            "--state-dir",
            fresh.toString(),
            "--socket",
            tmp.resolve("control.sock").toString()),
        config + ":2: listen = paird.invalid:0: cannot resolve paird.invalid;");
    assertRefusedExactly(
        1,
        List.of(
            "--state-dir",
            fresh.toString(),
            "--socket",
            tmp.resolve("control.sock").toString(),
            "--listen",
            "paird.invalid:7247"),
        "--listen: listen = paird.invalid:7247: cannot resolve paird.invalid;");

    assertThat(fresh).doesNotExist();
  }

  @Test
  void stateDirectoryThatIsAFile_isRefusedWithTheReasonAndTheConfigLine() throws Exception {
    Path config =
        Files.writeString(tmp.resolve("paird.conf"), "# paird\nstate_dir = /etc/hostname\n");

    assertRefused(
        List.of("--config", config.toString(), "--state-dir", "/etc/hostname"),
        "--state-dir: cannot create the state directory /etc/hostname: not a directory");
    assertRefused(
        List.of("--config", config.toString()),
        config + ":2: cannot create the state directory /etc/hostname: not a directory");
  }

  /** A config file setting {@code cert} and {@code key}, on its lines 1 and 2. */
  private Path configFile(Path cert, Path key) throws IOException {
    return Files.writeString(tmp.resolve("paird.conf"), "cert = " + cert + "\nkey = " + key + "\n");
  }

  /** An empty config and {@link #state}: what most tests start paird with. */
  private List<String> defaults() throws Exception {
    return List.of(
        "--config",
        Files.writeString(tmp.resolve("empty.conf"), "").toString(),
        "--state-dir",
        state.toString());
  }

  /**
   * Starts paird with {@code options} and checks that it exits 78 promptly, saying {@code what}.
   */
  private PairdProcess assertRefused(List<String> options, String... what) throws Exception {
    List<String> arguments =
        new ArrayList<>(
            List.of("--socket", tmp.resolve("control.sock").toString(), "--listen", "127.0.0.1:0"));
    arguments.addAll(options);
    return assertRefusedExactly(arguments, what);
  }

  /** As {@link #assertRefused}, with {@code arguments} alone. */
  private PairdProcess assertRefusedExactly(List<String> arguments, String... what)
      throws Exception {
    return assertRefusedExactly(Paird.EXIT_CONFIG, arguments, what);
  }

  /** As {@link #assertRefusedExactly(List, String...)}, exiting with {@code expected}. */
  private PairdProcess assertRefusedExactly(int expected, List<String> arguments, String... what)
      throws Exception {
    long start = System.nanoTime();
    PairdProcess paird = PairdProcess.launch(List.of(), arguments);
    started.add(paird);

    int status = paird.awaitExit();
    Duration took = Duration.ofNanos(System.nanoTime() - start);

    assertThat(status).as("exit status; log:\n%s", paird.log()).isEqualTo(expected);
    assertThat(took).as("time to refuse").isLessThan(PROMPTLY);
    for (String part : what) {
      assertThat(paird.log()).contains(part);
    }
    return paird;
  }
}
