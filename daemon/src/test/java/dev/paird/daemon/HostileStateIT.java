package dev.paird.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.paird.testing.OpenSslCli;
import dev.paird.testing.OpenSslCli.KeyType;
import dev.paird.testing.OpenSslCli.SelfSigned;
import dev.paird.trust.HubFill;
import java.io.ByteArrayOutputStream;
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
import java.util.Locale;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

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

  /**
   * A state directory still to be made, in a directory every user may write to: whoever may write
   * there could rename it away and put their own in its place, so paird neither makes nor uses it.
   */
  @Test
  void stateDirectoryInADirectoryEveryoneMayWriteTo_isRefusedAndNotMade() throws Exception {
    Path shared = directory(tmp.resolve("shared"), "rwxrwxrwx");
    state = shared.resolve("state");

    assertRefused(
        defaults(),
        "cannot use the state directory "
            + state
            + ": the directory "
            + shared
            + " above it may be written to by every user (owner uid "
            + Files.getAttribute(shared, "unix:uid")
            + ", mode 0777)",
        "`chmod go-w " + shared + "`");
    assertThat(shared.resolve("state")).doesNotExist();
  }

  /** The same for a state directory that exists, two levels down, under one its group may write. */
  @Test
  void stateDirectoryBelowADirectoryItsGroupMayWriteTo_isRefusedAndLeftAlone() throws Exception {
    Path shared = directory(tmp.resolve("shared"), "rwxrwx---");
    state =
        directory(directory(shared.resolve("paird"), "rwx------").resolve("state"), "rwx------");

    assertRefused(
        defaults(),
        "the directory " + shared + " above it may be written to by its group's members",
        "`chmod go-w " + shared + "`");
    try (var entries = Files.list(state)) {
      assertThat(entries).isEmpty();
    }
  }

  /** A link to a state directory is checked where it leads, too. */
  @Test
  void stateDirectoryLinkedFromASafePlace_isRefusedForWhereItLeads() throws Exception {
    Path shared = directory(tmp.resolve("shared"), "rwxrwxrwx");
    Path real = directory(shared.resolve("state"), "rwx------");
    state = Files.createSymbolicLink(tmp.resolve("link"), real);

    assertRefused(defaults(), "the directory " + shared + " above it may be written to");
  }

  @Test
  void stateDirectoryBelowAnotherUsersDirectory_isRefused() throws Exception {
    assumeTrue(Files.getAttribute(tmp, "unix:uid").equals(0), "needs root to give it away");
    Path theirs = directory(tmp.resolve("theirs"), "rwxr-xr-x");
    state = directory(theirs.resolve("state"), "rwx------");
    Files.setOwner(
        theirs,
        tmp.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("nobody"));

    assertRefused(
        defaults(),
        "the directory "
            + theirs
            + " above it belongs neither to root nor to uid 0 that paird runs as"
            + " (owner uid 65534, mode 0755)");
  }

  /** Under a sticky directory such as /tmp, only a directory's owner may rename it: allowed. */
  @Test
  void stateDirectoryInAStickyDirectoryEveryoneMayWriteTo_starts() throws Exception {
    Path sticky = directory(tmp.resolve("sticky"), "rwxrwxrwx");
    Files.setAttribute(sticky, "unix:mode", 01777);
    state = sticky.resolve("state");

    startReady();

    assertThat(state.resolve("identity")).isDirectory();
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
    ConfiguredKey configured = configuredKey("rw--w----");
    SelfSigned files = configured.files();
    String group = configured.group();
    Path config = configured.config();

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

  /** The owner of a key file can change it, or who may read it, at will: refused, whatever mode. */
  @Test
  void keyOwnedByAnotherUser_isRefusedNamingTheOwnerAndTheFix() throws Exception {
    assumeTrue(Files.getAttribute(tmp, "unix:uid").equals(0), "needs root to give it away");
    SelfSigned files = OpenSslCli.newSelfSigned(tmp, "device", KeyType.EC_P256);
    // Its group may read it, as paird's may: the mode alone would start paird with a warning.
    Files.setPosixFilePermissions(files.key(), PosixFilePermissions.fromString("rw-r-----"));
    UserPrincipal nobody =
        tmp.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("nobody");
    Files.setOwner(files.key(), nobody);

    assertRefused(
        identityFiles(files.cert(), files.key()),
        "--key: the key file "
            + files.key()
            + " belongs to nobody (uid 65534), neither root nor uid 0 that paird runs as",
        "`chown 0 " + files.key() + "`");
  }

  /** A generated identity's directory that others may write to: they could put a key there. */
  @Test
  void identityDirectoryOthersMayWriteTo_isRefusedNamingTheFix() throws Exception {
    Path identity =
        Files.createDirectory(
            state.resolve("identity"),
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxrwxrwx")));
    Files.setPosixFilePermissions(identity, PosixFilePermissions.fromString("rwxrwxrwx"));

    assertRefused(defaults(), identity.toString(), "other users can write to it", "chmod 700");
  }

  /**
   * SECURITY.md: an Ed25519 device key is refused at start-up, saying why, while netty-tcnative's
   * BoringSSL cannot sign a handshake with one.
   */
  @Test
  void ed25519DeviceKey_isRefusedSayingWhy() throws Exception {
    SelfSigned files = OpenSslCli.newSelfSigned(tmp, "device", KeyType.ED25519);

    assertRefused(
        identityFiles(files.cert(), files.key()),
        "is an Ed25519 key; BoringSSL, which paird uses for TLS, does not offer Ed25519"
            + " signatures in its handshake");
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
        identityFiles(files.key(), files.key()),
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

  /** A damaged line with whole lines after it is damage, not a crash: never silently dropped. */
  @Test
  void journalWithADamagedLineBeforeOthers_isRefusedNamingTheLine() throws Exception {
    byte[] list = trustedList();
    List<String> fingerprints = fingerprints(list);
    byte[] line2 = journalLine("{\"remove\":\"" + fingerprints.get(0) + "\"}");
    line2[0] = (byte) (line2[0] == '0' ? '1' : '0');
    writeJournal(digest(list), line2, journalLine("{\"remove\":\"" + fingerprints.get(1) + "\"}"));

    assertRefused(
        defaults(),
        "the trusted-peer list "
            + state.resolve("trusted.journal")
            + " is unusable: line 2 is damaged (its checksum does not match) and more follow");
  }

  /**
   * A journal whose first line names another trusted.json than the one beside it (one an older
   * paird, which ignores the journal, rewrote after a crash) is not laid over it.
   */
  @Test
  void journalThatFollowsAnotherList_isRefusedRatherThanReplayed() throws Exception {
    byte[] list = trustedList();
    String fingerprint = fingerprints(list).get(0);
    byte[] older = Arrays.copyOf(list, list.length + 1);
    older[list.length] = '\n';
    writeJournal(digest(older), journalLine("{\"remove\":\"" + fingerprint + "\"}"));

    assertRefused(
        defaults(),
        "the trusted-peer list "
            + state.resolve("trusted.journal")
            + " is unusable: its changes follow another trusted.json than the one beside it");
  }

  /** The place of the error, never the file's text: it may be someone else's. */
  @Test
  void trustedListThatIsNotJson_isRefusedNamingLineAndColumnButNotTheText() throws Exception {
    Files.writeString(
        state.resolve("trusted.json"),
        "{\n  \"version\": 1,\n  \"peers\": [zq7secondtoken]\n}\n",
        StandardCharsets.UTF_8);

    PairdProcess paird =
        assertRefused(
            defaults(),
            "the trusted-peer list " + state.resolve("trusted.json") + " is unusable: ",
            " at line 3, column ");
    assertThat(paird.log()).doesNotContain("zq7secondtoken");
  }

  /** Small numbers make many tree nodes from few bytes: counted before any tree is built. */
  @Test
  void trustedListOfTooManyValues_isRefusedByCountUnderTheSizeBound() throws Exception {
    int values = 330 * 1024;
    StringBuilder json = new StringBuilder("{\"version\": 1, \"peers\": [0");
    json.append(",0".repeat(values));
    Files.writeString(state.resolve("trusted.json"), json.append("]}\n"));

    assertRefused(
        defaults(),
        "the trusted-peer list "
            + state.resolve("trusted.json")
            + " is unusable: it holds more than 327680 JSON values");
  }

  @Test
  void journalOf17Megabytes_isRefusedBySize() throws Exception {
    byte[] huge = new byte[17 * 1024 * 1024];
    Arrays.fill(huge, (byte) '\n');
    Files.write(state.resolve("trusted.journal"), huge);

    assertRefused(
        defaults(),
        "the trusted-peer list "
            + state.resolve("trusted.journal")
            + " is unusable: it is larger than 16 MiB");
  }

  /** A line longer than paird writes is refused even as the last, with its checksum right. */
  @Test
  void journalLineOver256Kilobytes_isRefused() throws Exception {
    byte[] list = trustedList();
    String padding = " ".repeat(300 * 1024);
    writeJournal(
        digest(list),
        journalLine("{\"remove\":\"" + fingerprints(list).get(0) + "\"" + padding + "}"));

    assertRefused(
        defaults(),
        "the trusted-peer list "
            + state.resolve("trusted.journal")
            + " is unusable: line 2 is longer than 262144 bytes");
  }

  /**
   * Each file paird keeps for itself, and how start-up refuses it when it is not a regular file.
   */
  @ParameterizedTest(name = "{0} as a symbolic link")
  @ValueSource(strings = {"trusted.journal", "trusted.pem", "paird.lock", "identity/cert.pem"})
  void stateFileThatIsASymlink_isRefusedWithoutFollowingIt(String name) throws Exception {
    Path other = Files.writeString(tmp.resolve("shadow"), "zq7firsttoken:$6$salt$hash:19000::\n");
    Path file = stateFile(name);
    Files.createSymbolicLink(file, other);

    PairdProcess paird = assertRefused(defaults(), file.toString(), "symbolic link");
    assertThat(paird.log()).doesNotContain("zq7firsttoken");
  }

  /**
   * {@code identity/} itself as a link to a directory holding a whole identity: refused, not loaded
   * through the link as if it were paird's own.
   */
  @Test
  void identityDirectoryThatIsASymlink_isRefusedWithoutLoadingThroughIt() throws Exception {
    Path elsewhere =
        Files.createDirectory(
            tmp.resolve("elsewhere"),
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    SelfSigned files = OpenSslCli.newSelfSigned(tmp, "device", KeyType.EC_P256);
    Files.move(files.key(), elsewhere.resolve("key.pem"));
    Files.move(files.cert(), elsewhere.resolve("cert.pem"));
    Path link = Files.createSymbolicLink(state.resolve("identity"), elsewhere);

    assertRefused(defaults(), link.toString(), "symbolic link");
  }

  /**
   * A list file that others may write to may hold peers nobody paired (the state directory's 0711
   * lets anyone open it by name): refused, naming the mode and the fix.
   */
  @Test
  void trustedListOthersMayWriteTo_isRefusedNamingModeAndFix() throws Exception {
    trustedList();
    Path list = state.resolve("trusted.json");
    Files.setPosixFilePermissions(list, PosixFilePermissions.fromString("rw-rw-rw-"));

    assertRefused(defaults(), list.toString(), "other users may write to it", "chmod 600 " + list);
  }

  /** A journal of another user's is refused as a list of theirs would be. */
  @Test
  void journalOwnedByAnotherUser_isRefusedNamingTheOwner() throws Exception {
    Path journal = Files.createFile(state.resolve("trusted.journal"));
    Files.setAttribute(journal, "unix:uid", 65534);

    assertRefused(defaults(), journal.toString(), "owned by uid 65534");
  }

  /** A list that others may only read is used, and made 0600 again. */
  @Test
  void trustedListOthersMayRead_isMadePrivateAgain() throws Exception {
    trustedList();
    Path list = state.resolve("trusted.json");
    Files.setPosixFilePermissions(list, PosixFilePermissions.fromString("rw-r--r--"));

    startReady();

    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(list)))
        .isEqualTo("rw-------");
  }

  /**
   * {@code trusted-certs/} as a link to another directory: refused at start-up, so that paird
   * neither deletes that directory's {@code HASH.N} files, as stale ones of its own, nor writes
   * peers there as trust anchors (a link to {@code /etc/ssl/certs} would make them the system's).
   */
  @Test
  void capathDirectoryThatIsASymlink_isRefusedWithoutTouchingItsTarget() throws Exception {
    Path elsewhere = Files.createDirectory(tmp.resolve("certs"));
    Path decoy = Files.writeString(elsewhere.resolve("0123abcd.0"), "someone else's\n");
    Path link = Files.createSymbolicLink(state.resolve("trusted-certs"), elsewhere);

    assertRefused(defaults(), link.toString(), "symbolic link");
    try (var left = Files.list(elsewhere)) {
      assertThat(left).containsExactly(decoy);
    }
    assertThat(Files.readString(decoy)).isEqualTo("someone else's\n");
  }

  @ParameterizedTest(name = "{0} as a FIFO")
  @ValueSource(strings = {"trusted.journal", "trusted.pem", "paird.lock", "identity/cert.pem"})
  void stateFileThatIsAFifo_isRefusedWithoutWaitingForAWriter(String name) throws Exception {
    Path file = stateFile(name);
    Process mkfifo = new ProcessBuilder("mkfifo", file.toString()).start();
    assertThat(mkfifo.waitFor()).isZero();

    assertRefused(defaults(), file.toString(), "not a regular file");
  }

  /** The certificate decides whom paird trusts; an entry that names another is not guessed at. */
  @Test
  void entryWhoseFingerprintIsNotItsCertificates_isRefused() throws Exception {
    byte[] list = trustedList();
    List<String> fingerprints = fingerprints(list);
    String wrong = "0".repeat(64);
    Files.writeString(
        state.resolve("trusted.json"),
        new String(list, StandardCharsets.UTF_8).replace(fingerprints.get(0), wrong));

    assertRefused(
        defaults(),
        "the trusted-peer list "
            + state.resolve("trusted.json")
            + " is unusable: peer 1: its fingerprint "
            + wrong
            + " does not match its certificate, whose fingerprint is "
            + fingerprints.get(0));
  }

  /** Its group may only read the key: paird starts, and says who can read it. */
  @Test
  void configuredKeyItsGroupMayRead_startsWithAWarningNamingTheGroup() throws Exception {
    ConfiguredKey configured = configuredKey("rw-r-----");
    SelfSigned files = configured.files();
    String group = configured.group();

    PairdProcess paird = PairdProcess.in(tmp).config(configured.config()).launch();
    started.add(paird);
    paird.awaitReady();

    assertThat(paird.log())
        .contains(
            "the key file "
                + files.key()
                + " is readable by the group "
                + group
                + " (mode 0640); every member of "
                + group
                + " can read the device's private key",
            "`chmod 600 " + files.key() + "`");
  }

  /** Settings outside the ranges docs/SECURITY.md's analysis of guessing assumes. */
  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"max_attempts = 11", "code_digits = 5", "key_lifetime = 2h"})
  void settingOutsideTheAnalysedRange_isRefusedNamingTheLine(String setting) throws Exception {
    Path config = Files.writeString(tmp.resolve("paird.conf"), "# paird\n" + setting + "\n");

    assertRefused(
        List.of("--config", config.toString(), "--state-dir", state.toString()),
        config + ":2: ",
        setting.substring(0, setting.indexOf(' ')));
  }

  /** {@code name} in {@link #state}, its directory made as paird would make it. */
  private Path stateFile(String name) throws IOException {
    Path file = state.resolve(name);
    if (!file.getParent().equals(state)) {
      Path identity =
          Files.createDirectory(
              file.getParent(),
              PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
      SelfSigned files = OpenSslCli.newSelfSigned(tmp, "device", KeyType.EC_P256);
      Files.move(files.key(), identity.resolve("key.pem"));
    }
    return file;
  }

  /** Writes a trusted.json of two peers in {@link #state}, as paird would; returns its bytes. */
  private byte[] trustedList() throws Exception {
    HubFill.main(new String[] {state.toString(), "2"});
    return Files.readAllBytes(state.resolve("trusted.json"));
  }

  /** The fingerprints of {@code list}'s peers, in its order. */
  private static List<String> fingerprints(byte[] list) throws IOException {
    List<String> fingerprints = new ArrayList<>();
    for (JsonNode peer : new ObjectMapper().readTree(list).path("peers")) {
      fingerprints.add(peer.path("fingerprint").asText());
    }
    return fingerprints;
  }

  /** How a journal's first line names a trusted.json: CRC32C and length. */
  private static String digest(byte[] list) {
    CRC32C crc = new CRC32C();
    crc.update(list);
    return String.format(Locale.ROOT, "%08x-%d", crc.getValue(), list.length);
  }

  /** One journal line: the CRC32C of {@code json}, a space, {@code json}, a newline. */
  private static byte[] journalLine(String json) {
    CRC32C crc = new CRC32C();
    byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
    crc.update(bytes);
    return String.format(Locale.ROOT, "%08x %s\n", crc.getValue(), json)
        .getBytes(StandardCharsets.UTF_8);
  }

  /** Writes trusted.journal: its first line naming {@code base}, then {@code lines}. */
  private void writeJournal(String base, byte[]... lines) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(journalLine("{\"journal\":1,\"base\":\"" + base + "\"}"));
    for (byte[] line : lines) {
      out.write(line);
    }
    Files.write(state.resolve("trusted.journal"), out.toByteArray());
    Files.setPosixFilePermissions(
        state.resolve("trusted.journal"), PosixFilePermissions.fromString("rw-------"));
  }

  /** A certificate and key, the key's mode {@code permissions}, and a config naming them. */
  private record ConfiguredKey(SelfSigned files, String group, Path config) {}

  private ConfiguredKey configuredKey(String permissions) throws IOException {
    SelfSigned files = OpenSslCli.newSelfSigned(tmp, "device", KeyType.EC_P256);
    Files.setPosixFilePermissions(files.key(), PosixFilePermissions.fromString(permissions));
    String group = Files.readAttributes(files.key(), PosixFileAttributes.class).group().getName();
    return new ConfiguredKey(files, group, configFile(files.cert(), files.key()));
  }

  /** A config file setting {@code cert} and {@code key}, on its lines 1 and 2. */
  private Path configFile(Path cert, Path key) throws IOException {
    return Files.writeString(tmp.resolve("paird.conf"), "cert = " + cert + "\nkey = " + key + "\n");
  }

  /** The state directory and {@code cert} and {@code key} as the device's certificate and key. */
  private List<String> identityFiles(Path cert, Path key) {
    return List.of(
        "--state-dir", state.toString(), "--cert", cert.toString(), "--key", key.toString());
  }

  /** An empty config and {@link #state}: what most tests start paird with. */
  private List<String> defaults() throws Exception {
    return List.of(
        "--config",
        Files.writeString(tmp.resolve("empty.conf"), "").toString(),
        "--state-dir",
        state.toString());
  }

  /** Makes {@code dir} with the mode {@code permissions}, whatever the umask. */
  private static Path directory(Path dir, String permissions) throws IOException {
    Files.createDirectory(dir);
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString(permissions));
    return dir;
  }

  /**
   * Starts paird with {@code options} and checks that it exits 78 promptly, saying {@code what}.
   */
  private PairdProcess assertRefused(List<String> options, String... what) throws Exception {
    return assertRefusedExactly(withSocket(options), what);
  }

  /** Starts paird with {@link #defaults()} and waits until it is ready. */
  private void startReady() throws Exception {
    PairdProcess paird = PairdProcess.launch(List.of(), withSocket(defaults()));
    started.add(paird);
    paird.awaitReady();
  }

  /** A control socket in {@link #tmp} and any free port on loopback, then {@code options}. */
  private List<String> withSocket(List<String> options) {
    List<String> arguments =
        new ArrayList<>(
            List.of("--socket", tmp.resolve("control.sock").toString(), "--listen", "127.0.0.1:0"));
    arguments.addAll(options);
    return arguments;
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
