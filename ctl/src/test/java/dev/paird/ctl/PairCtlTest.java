package dev.paird.ctl;

import static dev.paird.ctl.FakeDaemon.error;
import static dev.paird.ctl.FakeDaemon.ok;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.paird.api.Spake2Code;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

final class PairCtlTest {
  private static final Instant NOW = Instant.parse("2026-11-25T18:00:00Z");
  private static final String FINGERPRINT =
      "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
  private static final String ISSUED =
      "{\"id\":\"42\",\"key\":\"42-3141-5926-0\","
          + "\"suite\":\"spake2\",\"expires_at\":\"2026-11-25T18:05:00Z\",\"host\":\"kitchen-pi\","
          + "\"port\":7247}";
  private static final String PAIRED =
      "{\"id\":\"42\",\"outcome\":\"paired\",\"peer\":"
          + "{\"fingerprint\":\""
          + FINGERPRINT
          + "\",\"subject\":\"CN=laptop\"}}";

  @TempDir Path dir;

  private record Result(int status, String out, String err) {}

  private Path socket() {
    return dir.resolve("control.sock");
  }

  /** Runs pairctl with PAIRD_SOCKET pointing at {@link #socket()}, an empty stdin, no terminal. */
  private Result pairctl(String... args) {
    return pairctl(
        new KeyInput(Optional::empty, () -> new ByteArrayInputStream(new byte[0])), args);
  }

  /** As {@link #pairctl(String...)}, asking {@code keys} for a key. */
  private Result pairctl(KeyInput keys, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int status = pairctl(out, err, keys, args);
    return new Result(
        status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  /** As {@link #pairctl(KeyInput, String...)}, writing to {@code out} and {@code err}. */
  private int pairctl(OutputStream out, OutputStream err, KeyInput keys, String... args) {
    return pairctl(out, err, false, keys, args);
  }

  /** As above; {@code readerGone}: what pairctl learns of a write to {@code out} that failed. */
  private int pairctl(
      OutputStream out, OutputStream err, boolean readerGone, KeyInput keys, String... args) {
    PrintStream printed = new PrintStream(out, true, StandardCharsets.UTF_8);
    return new PairCtl(
            printed,
            printed,
            new PrintStream(err, true, StandardCharsets.UTF_8),
            Map.of("PAIRD_SOCKET", socket().toString()),
            StandardCharsets.UTF_8,
            () -> Clock.fixed(NOW, ZoneId.of("UTC")),
            keys,
            Backoff::none,
            () -> readerGone)
        .execute(args);
  }

  @Test
  void status_printsTextAndSucceeds() throws Exception {
    try (FakeDaemon paird =
        FakeDaemon.start(
            socket(),
            ok(
                "{\"version\":\"0.1.0\","
                    + "\"fingerprint\":\""
                    + FINGERPRINT
                    + "\",\"pending_keys\":1}"))) {
      Result result = pairctl("status");

      assertThat(result.status).isZero();
      assertThat(result.out)
          .contains("  fingerprint    " + FINGERPRINT + "\n", "  pending keys   1\n");
      assertThat(result.err).isEmpty();
    }
  }

  @Test
  void json_printsTheResultObjectOnOneLine() throws Exception {
    try (FakeDaemon paird = FakeDaemon.start(socket(), ok(ISSUED))) {
      Result result = pairctl("--json", "new-key", "--suite", "spake2", "--ttl", "5m");

      assertThat(result.status).isZero();
      assertThat(result.out).isEqualTo(ISSUED + "\n");
      assertThat(paird.requests())
          .containsExactly(
              "{\"v\":1,\"command\":\"new-key\","
                  + "\"args\":{\"suite\":\"spake2\",\"ttl_seconds\":300},\"id\":1}");
    }
  }

  @Test
  void json_failure_printsTheErrorObjectAndTheMessageOnStderr() throws Exception {
    try (FakeDaemon paird =
        FakeDaemon.start(
            socket(),
            error("not_found", "no trusted peer has a fingerprint starting with that prefix"))) {
      Result result = pairctl("remove", "abcd", "--json");

      assertThat(result.status).isEqualTo(7);
      assertThat(result.out)
          .isEqualTo(
              "{\"error\":{\"code\":\"not_found\",\"message\":\"no trusted"
                  + " peer has a fingerprint starting with that prefix\"}}\n");
      assertThat(result.err)
          .isEqualTo(
              "pairctl: no trusted peer has a fingerprint starting with"
                  + " that prefix\nhint: 'pairctl list-trusted' lists the trusted devices\n");
    }
  }

  @Test
  void showPem_answerWithoutACertificate_isAnErrorOnStderr_notTextForTheFile() throws Exception {
    try (FakeDaemon paird =
        FakeDaemon.start(socket(), ok("{\"certificate\":\"not a certificate\"}"))) {
      Result result = pairctl("show", "--pem", "9f86");

      assertThat(result.status).isEqualTo(1);
      assertThat(result.out).isEmpty();
      assertThat(result.err)
          .isEqualTo(
              "pairctl: paird sent an answer this pairctl cannot read: it holds no PEM"
                  + " certificate\n");
    }
  }

  @Test
  void argumentTooLongOrEmpty_isRefusedAsPairdWould_withoutConnectingOrAskingForTheKey()
      throws Exception {
    try (FakeDaemon paird = FakeDaemon.start(socket(), ok(PEER))) {
      Result longPrefix = pairctl("remove", "a".repeat(10_000));
      Result longLabel = pairctl("pair", "kitchen-pi", "--label", "x".repeat(65));
      Result emptyHost = pairctl("ping", "");

      assertThat(longPrefix.status).isEqualTo(2);
      assertThat(longPrefix.err)
          .isEqualTo(
              "pairctl: FINGERPRINT must be 1 to 255 characters\n"
                  + "hint: see 'pairctl remove --help'\n");
      // Named as the command line names them, not as the request's fields.
      assertThat(longLabel.status).isEqualTo(2);
      assertThat(longLabel.err).startsWith("pairctl: --label must be 1 to 64 characters\n");
      assertThat(emptyHost.err).startsWith("pairctl: HOST must be 1 to 255 characters\n");
      assertThat(paird.requests()).isEmpty();
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"show", "remove"})
  void showOrRemove_noSuchPeer_pointsAtTheList(String command) throws Exception {
    try (FakeDaemon paird =
        FakeDaemon.start(
            socket(),
            error("not_found", "no trusted peer has a fingerprint starting with that prefix"))) {
      Result result = pairctl(command, "abcd");

      assertThat(result.status).isEqualTo(7);
      assertThat(result.err).endsWith("\nhint: 'pairctl list-trusted' lists the trusted devices\n");
    }
  }

  @Test
  void outputThatCannotBeWritten_isAFailure_notAnExitStatusOfZero() throws Exception {
    OutputStream full = fullDisk();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    try (FakeDaemon paird = FakeDaemon.start(socket(), ok("{}"))) {
      int status =
          pairctl(full, err, new KeyInput(Optional::empty, () -> null), "--json", "status");

      assertThat(status).isEqualTo(1);
      assertThat(err.toString(StandardCharsets.UTF_8))
          .startsWith("pairctl: cannot write to standard output, so the answer is lost");
    }
  }

  /** Standard output on a full disk: every write fails. */
  private static OutputStream fullDisk() {
    return new OutputStream() {
      @Override
      public void write(int b) throws IOException {
        throw new IOException("No space left on device");
      }
    };
  }

  /**
   * {@code new-key --wait | head -3}: the reader took the key and went; the device that typed it
   * paired all the same, which stderr says, since the answer that said so is lost.
   */
  @ParameterizedTest
  @ValueSource(strings = {"new-key --wait", "--json new-key --wait"})
  void newKeyWait_readerGoneOnceTheKeyWasShown_saysThePairing(String command) throws Exception {
    ByteArrayOutputStream shown = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    try (FakeDaemon paird = FakeDaemon.start(socket(), ok(ISSUED), ok(PAIRED))) {
      // Gone once pairctl has asked to wait: after the key, before the outcome.
      OutputStream keyOnly =
          new OutputStream() {
            @Override
            public void write(int b) throws IOException {
              write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] bytes, int offset, int length) throws IOException {
              if (paird.requests().size() > 1) {
                throw new IOException("Broken pipe");
              }
              shown.write(bytes, offset, length);
            }
          };
      int status =
          pairctl(
              keyOnly, err, true, new KeyInput(Optional::empty, () -> null), command.split(" "));

      assertThat(status).isEqualTo(141);
      assertThat(err.toString(StandardCharsets.UTF_8))
          .isEqualTo(
              "pairctl: the program reading pairctl's output stopped before the answer was"
                  + " written; done all the same: paired with CN=laptop, fingerprint "
                  + FINGERPRINT
                  + "; each device now trusts the other\n");
      assertThat(shown.toString(StandardCharsets.UTF_8)).contains("42-3141-5926-0");
    }
  }

  /** A new key that cannot be shown is cancelled on the same connection: nobody has seen it. */
  @ParameterizedTest
  @ValueSource(strings = {"new-key", "--json new-key", "new-key --wait"})
  void newKey_thatCannotBeWritten_isCancelled(String command) throws Exception {
    OutputStream full = fullDisk();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    String[] args = command.split(" ");
    try (FakeDaemon paird =
        FakeDaemon.start(socket(), ok(ISSUED), ok("{\"id\":\"42\",\"cancelled\":true}"))) {
      int status = pairctl(full, err, new KeyInput(Optional::empty, () -> null), args);

      assertThat(status).isEqualTo(1);
      assertThat(err.toString(StandardCharsets.UTF_8))
          .startsWith(
              "pairctl: cannot write to standard output, so the new key was not shown; pairctl"
                  + " has cancelled it (key 42), so no device can use it");
      assertThat(paird.requests()).hasSize(2);
      assertThat(paird.requests().get(1)).contains("\"cancel-key\"").contains("\"id\":\"42\"");
    }
  }

  @Test
  void failure_withoutJson_printsNothingOnStdout() throws Exception {
    try (FakeDaemon paird = FakeDaemon.start(socket(), error("limit_reached", "16 keys pending"))) {
      Result result = pairctl("new-key");

      assertThat(result.status).isEqualTo(5);
      assertThat(result.out).isEmpty();
      assertThat(result.err).isEqualTo("pairctl: 16 keys pending\n");
    }
  }

  @ParameterizedTest
  @CsvSource({
    "bad_request, 2",
    "unknown_command, 2",
    "request_too_large, 2",
    "unsupported_version, 2",
    "invalid_argument, 2",
    "malformed_key, 2",
    "ambiguous, 2",
    "not_found, 7",
    "limit_reached, 5",
    "key_rejected, 5",
    "not_trusted, 5",
    "peer_unreachable, 6",
    "tls_failed, 6",
    "not_paird, 6",
    "timeout, 6",
    "protocol_error, 6",
    "peer_failed, 6",
    "busy, 6",
    "permission_denied, 4",
    "internal, 1",
    "something_new, 1",
  })
  void daemonError_exitsWithItsDocumentedStatus(String code, int status) throws Exception {
    try (FakeDaemon paird = FakeDaemon.start(socket(), error(code, "no"))) {
      assertThat(pairctl("ping", "kitchen-pi").status).isEqualTo(status);
    }
  }

  @Test
  void daemonError_hostileMessage_isEscapedOnStderrButExactInJson() throws Exception {
    try (FakeDaemon paird =
        FakeDaemon.start(socket(), error("tls_failed", "peer CN=\\u001b[31mevil\\nsays no"))) {
      Result result = pairctl("--json", "ping", "kitchen-pi");

      assertThat(result.err)
          .startsWith("pairctl: peer CN=\\x1b[31mevil\\x0asays no\n")
          .doesNotContain("\u001b");
      assertThat(result.out).contains("\"message\":\"peer CN=\\u001B[31mevil\\nsays no\"");
    }
  }

  /**
   * CONTROL.md, "Responses": paird escapes the caller's text it quotes into printable ASCII for its
   * log; pairctl shows it by its own terminal's lights, escaped once, not a second time.
   */
  @Test
  void daemonError_quotingEscapedText_showsItOnceByTheTerminalsLights() throws Exception {
    // The JSON string holds: no pending key has id '\xe9\U0001f600x', nor 'a\\b', nor '\x1b'
    try (FakeDaemon paird =
        FakeDaemon.start(
            socket(),
            error(
                "not_found",
                "no pending key has id '\\\\xe9\\\\U0001f600x', nor 'a\\\\\\\\b', nor"
                    + " '\\\\x1b'"))) {
      Result result = pairctl("cancel-key", "x");

      assertThat(result.err)
          .startsWith(
              "pairctl: no pending key has id '\u00e9\ud83d\ude00x', nor 'a\\\\b', nor '\\x1b'\n")
          .doesNotContain("\u001b");
    }
  }

  @Test
  void noDaemon_exitsUnreachable() {
    Result result = pairctl("list-trusted");

    assertThat(result.status).isEqualTo(3);
    assertThat(result.err).startsWith("pairctl: paird is not running (no socket at " + socket());
  }

  @Test
  void usageError_exitsTwoWithAPointerToHelp() {
    Result result = pairctl("new-key", "--ttl", "2h");

    assertThat(result.status).isEqualTo(2);
    assertThat(result.out).isEmpty();
    assertThat(result.err)
        .isEqualTo(
            "pairctl: --ttl must be from 30s to 1h, not 2h\n"
                + "hint: see 'pairctl new-key --help'\n");
  }

  @Test
  void usageError_withJson_isAlsoAJsonError() {
    Result result = pairctl("--json", "frobnicate");

    assertThat(result.status).isEqualTo(2);
    assertThat(result.out)
        .startsWith(
            "{\"error\":{\"code\":\"usage\",\"message\":\"unknown command" + " 'frobnicate'");
  }

  @Test
  void help_printsOnStdoutAndSucceeds() {
    Result result = pairctl("--help");

    assertThat(result.status).isZero();
    assertThat(result.out).contains("Exit status:");
    assertThat(result.err).isEmpty();
  }

  @Test
  void pair_otherDeviceCouldNotSave_hintsAtItsLogNotTheHostName() throws Exception {
    try (FakeDaemon paird =
        FakeDaemon.start(
            socket(),
            STATUS,
            error(
                "peer_failed",
                "the other device accepted the key but could not save its trusted list"))) {
      String key = Spake2Code.create(42, "31415926".getBytes(StandardCharsets.US_ASCII)).format();
      Result result = pairctl("pair", "laptop", key);

      assertThat(result.status).isEqualTo(6);
      assertThat(result.err).contains("hint: the other device's log").doesNotContain("host name");
    }
  }

  /**
   * pairctl --help: exit 1 for an answer pairctl cannot read. An answer that does not name what the
   * command did is one: exit 0 would say it was done.
   */
  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "pair laptop KEY | {\"peer\":{\"subject\":\"CN=laptop\"}} | its \"peer\" has no SHA-256 fingerprint",
        "remove 9f86 | {} | its \"removed\" has no SHA-256 fingerprint",
        "ping laptop | {\"peer\":{\"fingerprint\":\"9f86\"}} | its \"peer\" has no SHA-256 fingerprint",
        "cancel-key 42 | {\"id\":\"42\"} | it does not say that the key was cancelled"
      })
  void answerThatDoesNotNameWhatWasDone_isUnreadable_notSuccess(
      String command, String answer, String problem) throws Exception {
    FakeDaemon.Reply reply = ok(answer);
    try (FakeDaemon paird =
        command.startsWith("pair ")
            ? FakeDaemon.start(socket(), STATUS, reply)
            : FakeDaemon.start(socket(), reply)) {
      Result result = pairctl(command.replace("KEY", KEY).split(" "));

      assertThat(result.status).as(result.err).isEqualTo(1);
      assertThat(result.out).isEmpty();
      assertThat(result.err)
          .startsWith("pairctl: paird sent an answer this pairctl cannot read: " + problem);
    }
  }

  @Test
  void pair_mistypedKey_isReportedWithoutAskingPaird() throws Exception {
    try (FakeDaemon paird = FakeDaemon.start(socket(), ok("{}"))) {
      Result result = pairctl("pair", "laptop", "42-1234-5678-8");

      assertThat(result.status).isEqualTo(2);
      assertThat(result.err)
          .startsWith("pairctl: spake2 code: the check digit (the last one)" + " does not match")
          .contains("hint: type the key as the other device shows it");
      assertThat(paird.requests()).isEmpty();
    }
  }

  @Test
  void pair_keyOfNoKnownFormat_explainsTheFormats_evenWithoutDaemon() {
    Result result = pairctl("--json", "pair", "laptop", "hunter2");

    assertThat(result.status).isEqualTo(2);
    assertThat(result.out).startsWith("{\"error\":{\"code\":\"malformed_key\"");
    assertThat(result.err)
        .contains("a spake2 code is 9 to 13 digits such as 42-3141-5926-0")
        .doesNotContain("hunter2");
  }

  private static final String PEER =
      "{\"peer\":{\"fingerprint\":\""
          + FINGERPRINT
          + "\","
          + "\"subject\":\"CN=laptop\",\"added_at\":\"2026-11-25T18:00:00Z\","
          + "\"updated_at\":\"2026-11-25T18:00:00Z\",\"host\":\"laptop:7000\",\"suite\":\"spake2\","
          + "\"label\":\"work laptop\"}}";

  /** The answer to the {@code status} that pairctl sends before a request with a key. */
  private static final FakeDaemon.Reply STATUS = ok("{\"pending_keys\":0}");

  /**
   * The pair request the fake was sent: the second on the connection, after a {@code status} whose
   * answer shows that paird has taken the connection.
   */
  private static String pairRequest(FakeDaemon paird) {
    assertThat(paird.requests()).hasSize(2);
    assertThat(paird.requests().get(0)).contains("\"command\":\"status\"");
    return paird.requests().get(1);
  }

  private static final String KEY =
      Spake2Code.create(42, "13572468".getBytes(StandardCharsets.US_ASCII)).format();

  @Test
  void pair_sendsTheKeysLettersAndDigitsAndShowsThePeer() throws Exception {
    try (FakeDaemon paird = FakeDaemon.start(socket(), STATUS, ok(PEER))) {
      Result result =
          pairctl("pair", "laptop:7000", KEY.replace('-', ' '), "--label", "work laptop");

      assertThat(result.status).isZero();
      assertThat(result.out)
          .startsWith(
              "Paired with work laptop (CN=laptop). Each device now"
                  + " trusts the other.\n  fingerprint  "
                  + FINGERPRINT
                  + "\n");
      assertThat(pairRequest(paird))
          .isEqualTo(
              "{\"v\":1,\"command\":\"pair\",\"args\":{"
                  + "\"host\":\"laptop:7000\",\"label\":\"work laptop\",\"key\":\""
                  + KEY.replace("-", "")
                  + "\"},\"id\":2}");
    }
  }

  @Test
  void pair_withoutKey_readsTheFirstLineOfStandardInput_andNoMore() throws Exception {
    ByteArrayInputStream stdin =
        new ByteArrayInputStream((KEY + "\r\nnext line\n").getBytes(StandardCharsets.US_ASCII));
    try (FakeDaemon paird = FakeDaemon.start(socket(), STATUS, ok(PEER))) {
      Result result = pairctl(new KeyInput(Optional::empty, () -> stdin), "pair", "laptop");

      assertThat(result.status).as(result.err).isZero();
      assertThat(pairRequest(paird)).contains("\"key\":\"" + KEY.replace("-", "") + "\"");
      assertThat(new String(stdin.readAllBytes(), StandardCharsets.US_ASCII))
          .isEqualTo("next line\n");
    }
  }

  @Test
  void pair_keyAfterAUtf8ByteOrderMark_isReadWithoutIt() throws Exception {
    byte[] bom = {(byte) 0xef, (byte) 0xbb, (byte) 0xbf};
    ByteArrayInputStream stdin =
        new ByteArrayInputStream(
            (new String(bom, StandardCharsets.ISO_8859_1) + KEY + "\n")
                .getBytes(StandardCharsets.ISO_8859_1));
    try (FakeDaemon paird = FakeDaemon.start(socket(), STATUS, ok(PEER))) {
      Result result = pairctl(new KeyInput(Optional::empty, () -> stdin), "pair", "laptop");

      assertThat(result.status).as(result.err).isZero();
      assertThat(pairRequest(paird)).contains("\"key\":\"" + KEY.replace("-", "") + "\"");
    }
  }

  @Test
  void pair_withoutKey_onATerminal_asksWithoutEcho() throws Exception {
    List<String> prompts = new ArrayList<>();
    KeyInput terminal = terminalTyping(prompts);
    // A status on a connection of its own before the key is asked for, then the usual two.
    try (FakeDaemon paird = FakeDaemon.start(socket(), STATUS, STATUS, ok(PEER))) {
      Result result = pairctl(terminal, "pair", "laptop");

      assertThat(result.status).as(result.err).isZero();
      assertThat(prompts).containsExactly("Key shown on the other device: ");
      assertThat(paird.requests()).hasSize(3);
      assertThat(paird.requests().get(0)).contains("\"command\":\"status\"");
      assertThat(paird.requests().get(1)).contains("\"command\":\"status\"");
      assertThat(paird.requests().get(2)).contains("\"command\":\"pair\"");
    }
  }

  /** A terminal on which KEY is typed at each prompt, which {@code prompts} keeps. */
  private static KeyInput terminalTyping(List<String> prompts) {
    return new KeyInput(
        () ->
            Optional.of(
                prompt -> {
                  prompts.add(prompt);
                  return KEY.toCharArray();
                }),
        () -> {
          throw new AssertionError("standard input is read only without a terminal");
        });
  }

  /**
   * A person is not asked to type a key that could go nowhere: with no paird, pairctl says so (exit
   * 3) without asking.
   */
  @Test
  void pair_withoutKey_onATerminal_pairdNotRunning_saysSoBeforeAsking() throws Exception {
    List<String> prompts = new ArrayList<>();
    KeyInput terminal = terminalTyping(prompts);

    Result result = pairctl(terminal, "pair", "laptop");

    assertThat(result.status).as(result.err).isEqualTo(3);
    assertThat(prompts).as("prompts shown").isEmpty();
  }

  @Test
  void pair_withoutKey_emptyStandardInput_isUsageError_beforeAskingPaird() throws Exception {
    try (FakeDaemon paird = FakeDaemon.start(socket(), STATUS, ok(PEER))) {
      Result result = pairctl("pair", "laptop");

      assertThat(result.status).isEqualTo(2);
      assertThat(result.err).startsWith("pairctl: pair: no key: standard input is empty;");
      assertThat(paird.requests()).isEmpty();
    }
  }

  @Test
  void pair_keyFile_privateToItsOwner_isRead() throws Exception {
    Path file = Files.writeString(dir.resolve("key"), KEY + "\n");
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
    try (FakeDaemon paird = FakeDaemon.start(socket(), STATUS, ok(PEER))) {
      Result result = pairctl("pair", "laptop", "--key-file", file.toString());

      assertThat(result.status).as(result.err).isZero();
      assertThat(pairRequest(paird)).contains("\"key\":\"" + KEY.replace("-", "") + "\"");
    }
  }

  @Test
  void pair_keyFileOthersMayRead_isRefused_namingTheFileItsModeAndTheFix() throws Exception {
    Path file = Files.writeString(dir.resolve("key"), KEY + "\n");
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));

    Result result = pairctl("pair", "laptop", "--key-file", file.toString());

    assertThat(result.status).isEqualTo(2);
    assertThat(result.err)
        .startsWith(
            "pairctl: pair: --key-file " + file + " is open to other" + " users (mode 0644)")
        .contains("chmod 600 " + file)
        .doesNotContain(KEY);
  }

  /** Members of the file's group are other users too. */
  @Test
  void pair_keyFileItsGroupMayReadOrWrite_isRefused() throws Exception {
    Path file = Files.writeString(dir.resolve("key"), KEY + "\n");
    for (String mode : new String[] {"rw-r-----", "rw--w----"}) {
      Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(mode));

      Result result = pairctl("pair", "laptop", "--key-file", file.toString());

      assertThat(result.status).as(mode).isEqualTo(2);
      assertThat(result.err).as(mode).contains(" is open to other users (mode 06");
    }
  }

  @Test
  void pair_keyFileThatIsALink_isRefused_evenToAPrivateFile() throws Exception {
    Path target = Files.writeString(dir.resolve("key"), KEY + "\n");
    Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("rw-------"));
    Path link = Files.createSymbolicLink(dir.resolve("link"), target);

    Result result = pairctl("pair", "laptop", "--key-file", link.toString());

    assertThat(result.status).isEqualTo(2);
    assertThat(result.err)
        .startsWith("pairctl: pair: --key-file " + link + " is a symbolic link;")
        .doesNotContain(KEY);
  }

  @Test
  void pair_keyFileOfAnotherUser_isRefused() throws Exception {
    Path file = Files.writeString(dir.resolve("key"), KEY + "\n");
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
    assumeTrue(
        (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid") == 0,
        "needs root to give the file to another user");
    Files.setAttribute(file, "unix:uid", 65534);

    Result result = pairctl("pair", "laptop", "--key-file", file.toString());

    assertThat(result.status).isEqualTo(2);
    assertThat(result.err)
        .startsWith(
            "pairctl: pair: --key-file " + file + " belongs to uid 65534, not to you (uid 0)")
        .doesNotContain(KEY);
  }

  @Test
  void pair_missingKeyFile_namesTheFileAndTheReason() {
    Path file = dir.resolve("nowhere");

    Result result = pairctl("pair", "laptop", "--key-file", file.toString());

    assertThat(result.status).isEqualTo(2);
    assertThat(result.err)
        .startsWith("pairctl: pair: cannot read --key-file " + file + ": no such file\n");
  }

  /**
   * SECURITY.md, "Typing the key": whoever may write to the key file's directory could put another
   * file in its place between the checks and the read, so such a directory is refused, and the file
   * is not read.
   */
  @ParameterizedTest
  @CsvSource({
    "rwxrwx---, 0770, its group's members",
    "rwx-w----, 0720, its group's members",
    "rwx---rwx, 0707, every user",
    "rwxrwxrwx, 0777, every user",
  })
  void pair_keyFileInADirectoryOthersMayWriteTo_isRefusedNamingIt_andNotRead(
      String permissions, String mode, String who) throws Exception {
    Path keys = directory("keys", permissions);
    Path file = keyIn(keys);
    try (FakeDaemon paird = FakeDaemon.start(socket(), STATUS, ok(PEER))) {
      Result result = pairctl("--json", "pair", "laptop", "--key-file", file.toString());

      assertThat(result.status).as(result.err).isEqualTo(2);
      assertThat(result.out).startsWith("{\"error\":{\"code\":\"usage\"");
      assertThat(result.err)
          .startsWith(
              "pairctl: pair: --key-file "
                  + file
                  + " is in "
                  + keys.toRealPath()
                  + ", which "
                  + who
                  + " may write to (owner uid "
                  + self()
                  + ", mode "
                  + mode
                  + ")")
          .contains("chmod go-w " + keys.toRealPath())
          .doesNotContain(KEY);
      assertThat(paird.requests()).isEmpty();
    }
  }

  @Test
  void pair_keyFileUnderADirectoryOthersMayWriteTo_isRefusedNamingThatDirectory() throws Exception {
    Path open = directory("open", "rwxrwxrwx");
    Path file = keyIn(directory("open/mine", "rwx------"));

    Result result = pairctl("pair", "laptop", "--key-file", file.toString());

    assertThat(result.status).isEqualTo(2);
    assertThat(result.err)
        .startsWith("pairctl: pair: --key-file " + file + " lies under " + open.toRealPath() + ",")
        .contains("(owner uid " + self() + ", mode 0777)", "chmod go-w " + open.toRealPath())
        .doesNotContain(KEY);
  }

  /** As /tmp: others may not rename or remove what is not theirs in a sticky directory. */
  @Test
  void pair_keyFileOfYoursInAStickyDirectoryEveryoneMayWriteTo_isRead() throws Exception {
    Path shared = directory("shared", "rwxrwxrwx");
    Files.setAttribute(shared, "unix:mode", 01777);
    Path file = keyIn(shared);
    try (FakeDaemon paird = FakeDaemon.start(socket(), STATUS, ok(PEER))) {
      Result result = pairctl("pair", "laptop", "--key-file", file.toString());

      assertThat(result.status).as(result.err).isZero();
      assertThat(pairRequest(paird)).contains("\"key\":\"" + KEY.replace("-", "") + "\"");
    }
  }

  @Test
  void pair_keyFileOfAnotherUserInAStickyDirectory_isRefused() throws Exception {
    Path shared = directory("shared", "rwxrwxrwx");
    Files.setAttribute(shared, "unix:mode", 01777);
    Path file = keyIn(shared);
    assumeTrue(self() == 0, "needs root to give the file to another user");
    Files.setAttribute(file, "unix:uid", 65534);

    Result result = pairctl("pair", "laptop", "--key-file", file.toString());

    assertThat(result.status).isEqualTo(2);
    assertThat(result.err)
        .startsWith("pairctl: pair: --key-file " + file + " belongs to uid 65534,")
        .doesNotContain(KEY);
  }

  /** The directory checked is where a link leads, and the file read is the one in it. */
  @Test
  void pair_keyFileThroughALinkedDirectory_isCheckedWhereTheLinkLeads() throws Exception {
    Path mine = directory("mine", "rwx------");
    Path shared = directory("shared", "rwxrwx---");
    keyIn(mine);
    keyIn(shared);
    Path toMine = Files.createSymbolicLink(dir.resolve("to-mine"), mine);
    Path toShared = Files.createSymbolicLink(dir.resolve("to-shared"), shared);

    Result refused = pairctl("pair", "laptop", "--key-file", toShared.resolve("key").toString());

    assertThat(refused.status).as(refused.err).isEqualTo(2);
    assertThat(refused.err)
        .startsWith(
            "pairctl: pair: --key-file "
                + toShared.resolve("key")
                + " is in "
                + shared.toRealPath()
                + ", which its group's members may write to")
        .doesNotContain(KEY);
    try (FakeDaemon paird = FakeDaemon.start(socket(), STATUS, ok(PEER))) {
      Result read = pairctl("pair", "laptop", "--key-file", toMine.resolve("key").toString());

      assertThat(read.status).as(read.err).isZero();
      assertThat(pairRequest(paird)).contains("\"key\":\"" + KEY.replace("-", "") + "\"");
    }
  }

  @Test
  void pair_keyFileUnderADirectoryOfAnotherUser_isRefusedNamingIt() throws Exception {
    Path theirs = directory("theirs", "rwxr-xr-x");
    Path file = keyIn(directory("theirs/mine", "rwx------"));
    assumeTrue(self() == 0, "needs root to give the directory to another user");
    Files.setAttribute(theirs, "unix:uid", 65534);

    Result result = pairctl("pair", "laptop", "--key-file", file.toString());

    assertThat(result.status).isEqualTo(2);
    assertThat(result.err)
        .startsWith(
            "pairctl: pair: --key-file "
                + file
                + " lies under "
                + theirs.toRealPath()
                + ", which belongs neither to you (uid 0) nor to root (owner uid 65534, mode"
                + " 0755)")
        .contains("a directory of your own")
        .doesNotContain(KEY);
  }

  @Test
  void pair_keyFileRoot_isNotARegularFile() {
    Result result = pairctl("pair", "laptop", "--key-file", "/");

    assertThat(result.status).isEqualTo(2);
    assertThat(result.err).startsWith("pairctl: pair: --key-file / is not a regular file\n");
  }

  /** A directory {@code name} in {@link #dir} with exactly {@code permissions}, whatever umask. */
  /**
   * CONTROL.md, "Who pairctl talks to": a directory another user made in a sticky one, as anyone
   * may in /tmp, is theirs to put a socket in, whatever its mode. Every command is refused, not
   * only those that carry a key.
   */
  @Test
  void status_socketInADirectoryAnotherUserMadeInAStickyOne_isRefused() throws Exception {
    assumeTrue(self() == 0, "needs root to give the directory to another user");
    Path shared = directory("shared", "rwxrwxrwx");
    Files.setAttribute(shared, "unix:mode", 01777);
    Path theirs = Files.createDirectory(shared.resolve("theirs"));
    Files.setAttribute(theirs, "unix:uid", 65534);
    Path socket = theirs.resolve("control.sock");
    try (FakeDaemon paird = FakeDaemon.start(socket, ok("{\"pending_keys\":0}"))) {
      Result result = pairctl("--socket", socket.toString(), "--json", "status");

      assertThat(result.status).isEqualTo(4);
      assertThat(result.out).startsWith("{\"error\":{\"code\":\"permission_denied\"");
      assertThat(result.err)
          .startsWith(
              "pairctl: will not use "
                  + socket
                  + ": its directory "
                  + theirs.toRealPath()
                  + " belongs to uid 65534, neither root nor you (uid 0), and lies in "
                  + shared.toRealPath()
                  + ", a sticky directory where anyone may make a directory of their own");
      assertThat(paird.requests()).isEmpty();
    }
  }

  /** Where a link leads is what is checked, and what pairctl would connect to. */
  @Test
  void status_socketThroughALink_isCheckedWhereTheLinkLeads() throws Exception {
    Path open = directory("open", "rwxrwxrwx");
    Path link = Files.createSymbolicLink(dir.resolve("link.sock"), open.resolve("control.sock"));
    try (FakeDaemon paird =
        FakeDaemon.start(open.resolve("control.sock"), ok("{\"pending_keys\":0}"))) {
      Result result = pairctl("--socket", link.toString(), "status");

      assertThat(result.status).isEqualTo(4);
      assertThat(result.err)
          .startsWith(
              "pairctl: will not use "
                  + link
                  + ": its directory "
                  + open.toRealPath()
                  + " may be written to by every user");
      assertThat(paird.requests()).isEmpty();
    }
  }

  private Path directory(String name, String permissions) throws Exception {
    Path created = Files.createDirectory(dir.resolve(name));
    Files.setPosixFilePermissions(created, PosixFilePermissions.fromString(permissions));
    return created;
  }

  /** KEY in {@code directory}/key, private to its owner. */
  private static Path keyIn(Path directory) throws Exception {
    Path file = Files.writeString(directory.resolve("key"), KEY + "\n");
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
    return file;
  }

  private static int self() throws Exception {
    return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
  }

  @Test
  void newKeyWait_paired_showsKeyThenPeer_andSucceeds() throws Exception {
    try (FakeDaemon paird = FakeDaemon.start(socket(), ok(ISSUED), ok(PAIRED))) {
      Result result = pairctl("new-key", "--wait");

      assertThat(result.status).isZero();
      assertThat(result.out)
          .contains(
              "    42-3141-5926-0\n",
              "Waiting for the other device",
              "Paired with CN=laptop using key 42.\n  fingerprint  " + FINGERPRINT);
      assertThat(result.out.indexOf("42-3141-5926-0")).isLessThan(result.out.indexOf("Waiting"));
      assertThat(paird.requests()).hasSize(2);
      assertThat(paird.requests().get(1))
          .isEqualTo("{\"v\":1,\"command\":\"wait-key\",\"args\":{\"id\":\"42\"},\"id\":2}");
    }
  }

  @Test
  void newKeyWait_json_printsTwoLines() throws Exception {
    try (FakeDaemon paird = FakeDaemon.start(socket(), ok(ISSUED), ok(PAIRED))) {
      Result result = pairctl("--json", "new-key", "--wait");

      assertThat(result.status).isZero();
      assertThat(result.out).isEqualTo(ISSUED + "\n" + PAIRED + "\n");
    }
  }

  @ParameterizedTest
  @CsvSource({
    "expired, 'pairctl: key 42 expired before a device used it\nhint: ''pairctl new-key'' makes"
        + " a new one\n'",
    "burned, 'pairctl: key 42 was burned: there were too many wrong attempts with it\nhint: make"
        + " a new key; if nobody mistyped this one, someone else may have tried to guess it\n'",
    "cancelled, 'pairctl: key 42 was cancelled, by ''pairctl cancel-key'' or because paird"
        + " stopped\n'",
  })
  void newKeyWait_keyEndedUnused_exitsRejected(String outcome, String stderr) throws Exception {
    String ended = "{\"id\":\"42\",\"outcome\":\"" + outcome + "\"}";
    try (FakeDaemon paird = FakeDaemon.start(socket(), ok(ISSUED), ok(ended))) {
      Result result = pairctl("new-key", "--wait");

      assertThat(result.status).isEqualTo(5);
      assertThat(result.out).contains("42-3141-5926-0").doesNotContain("Paired");
      assertThat(result.err).isEqualTo(stderr);
    }
  }

  @Test
  void newKeyWait_jsonAndExpired_printsBothAnswersAndExitsRejected() throws Exception {
    String expired = "{\"id\":\"42\",\"outcome\":\"expired\"}";
    try (FakeDaemon paird = FakeDaemon.start(socket(), ok(ISSUED), ok(expired))) {
      Result result = pairctl("--json", "new-key", "--wait");

      assertThat(result.status).isEqualTo(5);
      assertThat(result.out).isEqualTo(ISSUED + "\n" + expired + "\n");
      assertThat(result.err).startsWith("pairctl: key 42 expired");
    }
  }

  @Test
  void newKeyWait_unknownOutcome_isInternal() throws Exception {
    try (FakeDaemon paird =
        FakeDaemon.start(socket(), ok(ISSUED), ok("{\"id\":\"42\",\"outcome\":\"teleported\"}"))) {
      Result result = pairctl("new-key", "--wait");

      assertThat(result.status).isEqualTo(1);
      assertThat(result.err)
          .isEqualTo(
              "pairctl: paird reported the outcome 'teleported', which"
                  + " this pairctl does not know\n");
    }
  }

  @Test
  void newKeyWait_keyUnknownToWaitKey_exitsNotFound() throws Exception {
    try (FakeDaemon paird =
        FakeDaemon.start(
            socket(),
            ok(ISSUED),
            error("not_found", "no pending or recently finished key has id '42'"))) {
      Result result = pairctl("new-key", "--wait", "--json");

      assertThat(result.status).isEqualTo(7);
      assertThat(result.out.lines())
          .containsExactly(
              ISSUED,
              "{\"error\":{\"code\":\"not_found\",\"message\":\"no pending or recently finished key"
                  + " has id '42'\"}}");
    }
  }

  @Test
  void newKeyWait_answerWithoutId_isInternal() throws Exception {
    try (FakeDaemon paird = FakeDaemon.start(socket(), ok("{\"key\":\"42-3141-5926-0\"}"))) {
      Result result = pairctl("new-key", "--wait");

      assertThat(result.status).isEqualTo(1);
      assertThat(result.err).contains("has no key id to wait for");
    }
  }
}
