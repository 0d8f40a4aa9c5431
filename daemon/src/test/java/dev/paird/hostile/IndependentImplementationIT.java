package dev.paird.hostile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.MissingNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.paird.api.ControlProtocol.Command;
import dev.paird.daemon.Pairctl;
import dev.paird.daemon.Pairctl.Result;
import dev.paird.daemon.PairdProcess;
import dev.paird.testing.OpenSslCli;
import dev.paird.testing.OpenSslCli.KeyType;
import dev.paird.testing.OpenSslCli.SelfSigned;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * paird against a second implementation of its pairing protocol, {@code independent/pairing.py},
 * written from docs/PROTOCOL.md alone: if the document left out something an implementer needs, or
 * said it wrongly, the two would not pair. The Python program pairs as the client with a real paird
 * that issued the key, and as the server with a real paird that typed its key, in both suites;
 * wrong keys and tampered messages fail on both sides and leave nothing trusted; and the program
 * reproduces the RFC 9382 vectors and the document's worked examples byte for byte.
 *
 * <p>The two paird processes (A issues keys, B types them) are shared; before each test every key
 * is cancelled and every peer removed. Every listener takes the port the kernel picks. Skipped
 * where there is no /usr/bin/python3.
 */
final class IndependentImplementationIT {
  private static final Path PYTHON = Path.of("/usr/bin/python3");
  private static final Duration TIMEOUT = Duration.ofSeconds(60);
  private static final ObjectMapper JSON = new ObjectMapper();

  /** What paird.conf says: every pairing here comes from 127.0.0.1, more than 30 a minute. */
  private static final String RATE = "rate_limit_per_minute = 6000";

  private static final String CROCKFORD = "[0-9A-HJKMNP-TV-Z]";

  @TempDir static Path dir;
  private static Path script;
  private static SelfSigned python;
  private static String pythonFingerprint;
  private static LiveDaemon a;
  private static LiveDaemon b;

  @BeforeAll
  static void start() throws Exception {
    assumeTrue(Files.isExecutable(PYTHON), "needs " + PYTHON);
    script =
        Path.of(IndependentImplementationIT.class.getResource("/independent/pairing.py").toURI());
    python = OpenSslCli.newSelfSigned(dir, "python", KeyType.EC_P256);
    pythonFingerprint = OpenSslCli.fingerprint(python.cert());
    a = LiveDaemon.start(dir, "a", RATE);
    b = LiveDaemon.start(dir, "b", RATE);
  }

  @AfterAll
  static void stop() throws Exception {
    LiveDaemon.closeAll(a, b);
  }

  @BeforeEach
  void forget() throws Exception {
    a.ctl.forgetAll();
    b.ctl.forgetAll();
  }

  @Test
  void python_reproducesTheRfcVectorsAndTheWorkedExamples() throws Exception {
    Path vectors =
        Path.of(
            IndependentImplementationIT.class
                .getResource("/vectors/rfc9382-spake2-p256.json")
                .toURI());
    Path protocol = PairdProcess.REPO.resolve("docs/PROTOCOL.md");

    try (Python run = Python.start("selftest", protocol.toString(), vectors.toString())) {
      Finished selftest = run.finish();

      assertThat(selftest.status()).as(selftest.toString()).isZero();
      assertThat(selftest.outcome()).isEqualTo("selftest passed");
      assertThat(selftest.checks())
          .contains(
              "RFC 9382 vector 4 B conf",
              "the Damm table of section 8",
              "N of section 4",
              "hmac frame_m2",
              "spake2 w",
              "spake2 frame_server_confirm",
              "spake2 typed_code: every typo and adjacent swap refused");
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"spake2", "hmac"})
  void pythonClient_pairsWithPairdServer_andPingsIt(String suite) throws Exception {
    JsonNode issued = a.newKey("--suite", suite);

    Finished pair = pythonClient(issued.path("key").textValue());

    assertThat(pair.outcome()).as(pair.toString()).isEqualTo("paired");
    assertThat(pair.last().path("suite").textValue()).isEqualTo(suite);
    assertThat(pair.last().path("server_fingerprint").textValue())
        .as("A's certificate, as Python saw it")
        .isEqualTo(OpenSslCli.fingerprint(a.identity.cert()));
    assertThat(pair.last().path("session_tickets").intValue()).as("tickets A issued").isZero();
    assertThat(a.trusted()).containsExactly(pythonFingerprint);
    assertThat(a.ctl.look(Command.LIST_TRUSTED).path("peers").get(0).path("suite").textValue())
        .isEqualTo(suite);
    assertThat(a.ctl.look(Command.LIST_KEYS).path("keys")).as("A's pending keys").isEmpty();

    try (Python run = Python.start(tls("ping", "--connect", a.address))) {
      Finished ping = run.finish();
      assertThat(ping.outcome()).as(ping.toString()).isEqualTo("pong");
    }
  }

  /**
   * SECURITY.md, the table of secret digits, and PROTOCOL.md, §8: a paird with {@code code_digits}
   * at either end of its range issues codes that Python, which reads the secret's length from the
   * digits typed and checks the check digit itself, pairs with.
   */
  @ParameterizedTest
  @ValueSource(ints = {6, 10})
  void pythonClient_pairsWithCodesOfEitherEndOfTheRange(int digits) throws Exception {
    LiveDaemon issuer = LiveDaemon.start(dir, "digits" + digits, RATE, "code_digits = " + digits);
    try {
      String key = issuer.newKey().path("key").textValue();

      Finished pair = pythonClient(issuer, key);

      assertThat(key.replace("-", "")).hasSize(2 + digits + 1);
      assertThat(pair.outcome()).as(pair.toString()).isEqualTo("paired");
      assertThat(issuer.trusted()).containsExactly(pythonFingerprint);
    } finally {
      issuer.close();
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"spake2", "hmac"})
  void pythonServer_pairsWithPairdClient_andIsPinged(String suite) throws Exception {
    String bFingerprint = OpenSslCli.fingerprint(b.identity.cert());
    try (Python server = pythonServer("--suite", suite)) {
      JsonNode listening = server.next();
      String key = listening.path("key").textValue();
      assertThat(key)
          .as("a key as PROTOCOL.md §8 shows it")
          .matches(
              suite.equals("spake2")
                  ? "[0-9]{2}-[0-9]{4}-[0-9]{4}-[0-9]"
                  : "[0-7]" + CROCKFORD + "{3}(-" + CROCKFORD + "{4}){5}-" + CROCKFORD + "{3}");

      Result pair = b.pair(address(listening), key);
      Finished served = server.finish();

      assertThat(pair.status()).as(pair.err()).isZero();
      assertThat(pair.json().path("peer").path("fingerprint").textValue())
          .isEqualTo(pythonFingerprint);
      assertThat(pair.json().path("peer").path("suite").textValue()).isEqualTo(suite);
      assertThat(served.outcome()).as(served.toString()).isEqualTo("paired");
      assertThat(served.last().path("client_fingerprint").textValue()).isEqualTo(bFingerprint);
      assertThat(b.trusted()).containsExactly(pythonFingerprint);
    }

    try (Python server = pythonServer("--suite", suite, "--trust", bFingerprint)) {
      Result ping = b.ctl.run("--json", "ping", address(server.next()));
      Finished served = server.finish();

      assertThat(ping.status()).as(ping.err()).isZero();
      assertThat(ping.json().path("peer").path("fingerprint").textValue())
          .isEqualTo(pythonFingerprint);
      assertThat(served.outcome()).as(served.toString()).isEqualTo("pong");
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"spake2", "hmac"})
  void pythonClient_wrongKey_isRejected_andChargesTheKey(String suite) throws Exception {
    JsonNode issued = a.newKey("--suite", suite);
    String id = issued.path("id").textValue();
    String wrong = pythonKey(suite, suite.equals("spake2") ? id : null);

    Finished pair = pythonClient(wrong);

    assertThat(pair.outcome()).as(pair.toString()).isEqualTo("failed");
    assertThat(pair.last().path("detail").textValue()).isEqualTo("ERROR(REJECTED)");
    assertThat(a.trusted()).isEmpty();
    assertThat(a.attemptsLeft(id)).as("attempts left on A's key").isEqualTo(2);
  }

  @ParameterizedTest
  @ValueSource(strings = {"spake2", "hmac"})
  void pythonServer_wrongKey_isRejected_andNothingIsTrusted(String suite) throws Exception {
    try (Python server = pythonServer("--suite", suite)) {
      JsonNode listening = server.next();
      String key = listening.path("key").textValue();
      String wrong = pythonKey(suite, suite.equals("spake2") ? key.substring(0, 2) : null);

      Result pair = b.pair(address(listening), wrong);
      Finished served = server.finish();

      assertThat(pair.status()).as(pair.err()).isEqualTo(5);
      assertThat(pair.json().path("error").path("code").textValue()).isEqualTo("key_rejected");
      assertThat(served.outcome()).as(served.toString()).isEqualTo("failed");
      assertThat(served.saw("trusted")).as("Python trusted B").isFalse();
      // PROTOCOL.md §2: an ERROR ends the exchange; paird as the client sends nothing after it.
      assertThat(served.event("after error").path("bytes").intValue()).isZero();
      assertThat(b.trusted()).isEmpty();
    }
  }

  /**
   * PROTOCOL.md §4: each side draws a fresh scalar for every exchange. Two Python servers with the
   * same key, so the same w: paird's two shares differ only if its x does.
   */
  @Test
  void pairdClient_drawsAFreshScalarForEachExchange() throws Exception {
    String key = pythonKey("spake2", null);
    List<String> shares = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      try (Python server = pythonServer("--suite", "spake2", "--code", key)) {
        Result pair = b.pair(address(server.next()), key);
        Finished served = server.finish();

        assertThat(pair.status()).as(pair.err()).isZero();
        assertThat(served.outcome()).as(served.toString()).isEqualTo("paired");
        shares.add(served.event("client share").path("share").textValue());
      }
    }
    assertThat(shares.get(0)).matches("04[0-9a-f]{128}").isNotEqualTo(shares.get(1));
  }

  /**
   * PROTOCOL.md §3 and §4, step 5: the client checks the server's proof. Python proves the key,
   * trusts B, then sends a proof with one bit changed; B must trust nothing (§7's one-sided case).
   */
  @ParameterizedTest
  @ValueSource(strings = {"spake2", "hmac"})
  void pythonServer_tamperedProof_isRefusedByPairdClient(String suite) throws Exception {
    try (Python server = pythonServer("--suite", suite, "--tamper", "confirmation")) {
      JsonNode listening = server.next();

      Result pair = b.pair(address(listening), listening.path("key").textValue());
      Finished served = server.finish();

      assertThat(served.saw("trusted")).as("Python trusted B: " + served).isTrue();
      assertThat(pair.status()).as(pair.err()).isEqualTo(5);
      assertThat(pair.json().path("error").path("code").textValue()).isEqualTo("key_rejected");
      assertThat(b.trusted()).isEmpty();
    }
  }

  /**
   * PROTOCOL.md §4: a client answers ERROR(MALFORMED), sends no confirmation and trusts nobody, for
   * a pB that is not a point, or one of w·N alone, which makes its K the identity.
   */
  @ParameterizedTest
  @ValueSource(strings = {"share-not-a-point", "share-identity-k"})
  void pythonServer_badShare_isAProtocolError(String tamper) throws Exception {
    try (Python server = pythonServer("--suite", "spake2", "--tamper", tamper)) {
      JsonNode listening = server.next();

      Result pair = b.pair(address(listening), listening.path("key").textValue());
      Finished served = server.finish();

      assertThat(pair.status()).as(pair.err()).isEqualTo(6);
      assertThat(pair.json().path("error").path("code").textValue()).isEqualTo("protocol_error");
      assertThat(served.last().path("detail").textValue()).isEqualTo("ERROR(MALFORMED)");
      assertThat(b.trusted()).isEmpty();
    }
  }

  /**
   * PROTOCOL.md §2: bytes that are no frame, sent right behind the client's last frame (in the same
   * write, so they arrive while the server saves trust), are not part of the exchange: the server
   * answers with its proof once trust is saved, and each device trusts the other.
   */
  @ParameterizedTest
  @ValueSource(strings = {"spake2", "hmac"})
  void pythonClient_bytesBehindItsLastFrame_areIgnored_andThePairingCompletes(String suite)
      throws Exception {
    JsonNode issued = a.newKey("--suite", suite);

    Finished pair = pythonClient(issued.path("key").textValue(), "--tamper", "trailing-garbage");

    assertThat(pair.outcome()).as(pair.toString()).isEqualTo("paired");
    assertThat(a.trusted()).containsExactly(pythonFingerprint);
  }

  /**
   * PROTOCOL.md §4, step 2: a pA that is not a point gets ERROR(MALFORMED) and costs an attempt.
   */
  @Test
  void pythonClient_shareNotAPoint_isMalformed_andChargesTheKey() throws Exception {
    JsonNode issued = a.newKey("--suite", "spake2");

    Finished pair = pythonClient(issued.path("key").textValue(), "--tamper", "share-not-a-point");

    assertThat(pair.last().path("detail").textValue())
        .as(pair.toString())
        .isEqualTo("ERROR(MALFORMED)");
    assertThat(pair.saw("server share received")).isFalse();
    assertThat(a.attemptsLeft(issued.path("id").textValue())).isEqualTo(2);
    assertThat(a.trusted()).isEmpty();
  }

  /**
   * PROTOCOL.md §4, step 2: a pA of exactly w·M makes the server's K the identity; the server has
   * sent pB by then and answers the confirmation with ERROR(MALFORMED).
   */
  @Test
  void pythonClient_shareMakingKTheIdentity_isMalformedAfterTheServerShare() throws Exception {
    JsonNode issued = a.newKey("--suite", "spake2");

    Finished pair = pythonClient(issued.path("key").textValue(), "--tamper", "share-identity-k");

    assertThat(pair.saw("server share received")).as(pair.toString()).isTrue();
    assertThat(pair.last().path("detail").textValue()).isEqualTo("ERROR(MALFORMED)");
    assertThat(a.attemptsLeft(issued.path("id").textValue())).isEqualTo(2);
    assertThat(a.trusted()).isEmpty();
  }

  /**
   * PROTOCOL.md §8: paird's check of a typed key, which answers {@code malformed_key} before any
   * traffic, agrees with Python's on every key Python lists: each check character of keys of every
   * length, other groupings, hmac keys over 128 bits. A well-formed key gets as far as the network
   * and finds a port where nobody listens.
   */
  @Test
  void keyFormats_pairdAndPythonAgree() throws Exception {
    List<JsonNode> cases;
    try (Python run = Python.start("key-cases")) {
      Finished listed = run.finish();
      assertThat(listed.status()).as(listed.toString()).isZero();
      cases = listed.lines().stream().filter(line -> line.has("key")).toList();
    }
    List<String> disagreements = new ArrayList<>();
    try (Socket closed = closedPort()) {
      String host = "127.0.0.1:" + closed.getLocalPort();
      for (JsonNode entry : cases) {
        String key = entry.path("key").textValue();
        b.keys.add(key);
        JsonNode answer = pair(b, host, key);
        String code = answer.path("error").path("code").textValue();
        String expected = entry.path("valid").booleanValue() ? "peer_unreachable" : "malformed_key";
        if (!expected.equals(code)) {
          disagreements.add(entry + " -> " + answer);
        }
      }
    }

    assertThat(cases).hasSizeGreaterThan(300);
    assertThat(disagreements).isEmpty();
  }

  /**
   * CONTROL.md, {@code pair}: a code typed with tabs is well-formed (Python's own check takes it),
   * but the control socket refuses a key with a control character; pairctl drops them.
   */
  @Test
  void keyWithATab_isWellFormed_butNotOnTheControlSocket() throws Exception {
    String typed = "42\t9021\t0573-8";
    try (Python run = Python.start("parse-key", typed)) {
      Finished parsed = run.finish();
      assertThat(parsed.outcome()).as(parsed.toString()).isEqualTo("parsed");
    }
    b.keys.add(typed);
    JsonNode answer;
    try (Socket closed = closedPort()) {
      answer = pair(b, "127.0.0.1:" + closed.getLocalPort(), typed);
    }

    assertThat(answer.path("error").path("code").textValue()).isEqualTo("invalid_argument");
  }

  // -------------------------------------------------------------------------------------------

  /** A {@code pair} request on {@code daemon}'s control socket, as any program may send it. */
  private static JsonNode pair(LiveDaemon daemon, String host, String key) throws Exception {
    ObjectNode request = JSON.createObjectNode().put("v", 1).put("command", "pair");
    request.putObject("args").put("host", host).put("key", key);
    return JSON.readTree(Pairctl.exchange(daemon.socket, request + "\n"));
  }

  /** Python pairs with A, with {@code key}: waits for it to finish. */
  private static Finished pythonClient(String key, String... more) throws Exception {
    return pythonClient(a, key, more);
  }

  /** Python pairs with {@code server}, with {@code key}: waits for it to finish. */
  private static Finished pythonClient(LiveDaemon server, String key, String... more)
      throws Exception {
    List<String> args =
        new ArrayList<>(List.of("client", "--connect", server.address, "--code", key));
    args.addAll(List.of(more));
    try (Python run = Python.start(tls(args.toArray(String[]::new)))) {
      return run.finish();
    }
  }

  /** Python as a server with a key of its own, in this test's port range; not waited for. */
  private static Python pythonServer(String... more) throws IOException {
    List<String> args = new ArrayList<>(List.of("server"));
    args.addAll(List.of(more));
    return Python.start(tls(args.toArray(String[]::new)));
  }

  /** A key of {@code suite} Python makes; a spake2 code for slot {@code slot} if not null. */
  private static String pythonKey(String suite, String slot) throws Exception {
    List<String> args = new ArrayList<>(List.of("new-key", "--suite", suite));
    if (slot != null) {
      args.addAll(List.of("--slot", slot));
    }
    try (Python run = Python.start(args.toArray(String[]::new))) {
      Finished made = run.finish();
      assertThat(made.status()).as(made.toString()).isZero();
      return made.last().path("key").textValue();
    }
  }

  /** {@code args} with Python's certificate and key. */
  private static String[] tls(String... args) {
    List<String> all = new ArrayList<>(List.of(args));
    all.addAll(List.of("--cert", python.cert().toString(), "--key", python.key().toString()));
    return all.toArray(String[]::new);
  }

  /** Where Python listens, as pairctl takes it. */
  private static String address(JsonNode listening) {
    assertThat(listening.has("port")).as("Python listens: %s", listening).isTrue();
    return "127.0.0.1:" + listening.path("port").intValue();
  }

  /**
   * A port bound by a socket that never listens, without SO_REUSEADDR: connections to it are
   * refused, and nobody else can bind it while it is open.
   */
  private static Socket closedPort() throws IOException {
    Socket socket = new Socket();
    try {
      socket.setReuseAddress(false);
      socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
      return socket;
    } catch (IOException e) {
      socket.close();
      throw e;
    }
  }

  /** How a run of pairing.py ended: its exit status and every JSON line it printed. */
  private record Finished(int status, List<JsonNode> lines, String err) {
    JsonNode last() {
      return lines.get(lines.size() - 1);
    }

    String outcome() {
      return last().path("outcome").textValue();
    }

    boolean saw(String event) {
      return lines.stream().anyMatch(line -> event.equals(line.path("event").textValue()));
    }

    /** The line of {@code event}, which Python must have printed. */
    JsonNode event(String event) {
      return lines.stream()
          .filter(line -> event.equals(line.path("event").textValue()))
          .findFirst()
          .orElseThrow(() -> new AssertionError("Python printed no " + event + ": " + this));
    }

    List<String> checks() {
      return lines.stream()
          .filter(line -> line.path("ok").booleanValue())
          .map(line -> line.path("check").textValue())
          .toList();
    }

    @Override
    public String toString() {
      return "pairing.py exited " + status + ", printed " + lines + ", stderr:\n" + err;
    }
  }

  /** One run of pairing.py, its standard output read line by line, as JSON, as it comes. */
  private static final class Python implements AutoCloseable {
    private static final JsonNode END = MissingNode.getInstance();

    private final Process process;
    private final Path err;
    private final BlockingQueue<JsonNode> pending = new LinkedBlockingQueue<>();
    private final List<JsonNode> read = new ArrayList<>();

    private Python(Process process, Path err) {
      this.process = process;
      this.err = err;
    }

    static Python start(String... args) throws IOException {
      List<String> command = new ArrayList<>(List.of(PYTHON.toString(), script.toString()));
      command.addAll(List.of(args));
      Path err = Files.createTempFile(dir, "python", ".err");
      Process process = new ProcessBuilder(command).redirectError(err.toFile()).start();
      process.getOutputStream().close();
      Python python = new Python(process, err);
      Thread reader = new Thread(python::readLines, "pairing.py-" + process.pid());
      reader.setDaemon(true);
      reader.start();
      return python;
    }

    private void readLines() {
      try (BufferedReader in =
          new BufferedReader(
              new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
        for (String line = in.readLine(); line != null; line = in.readLine()) {
          pending.add(JSON.readTree(line));
        }
      } catch (IOException e) {
        // The end, as far as the test is concerned: next() reports it with stderr.
      } finally {
        pending.add(END);
      }
    }

    /** The next line, waited for at most {@link #TIMEOUT}; fails if the output ends first. */
    JsonNode next() throws Exception {
      JsonNode line = pending.poll(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
      if (line == null || line.isMissingNode()) {
        throw new AssertionError(
            (line == null ? "no line within " + TIMEOUT : "the output ended")
                + "; read so far: "
                + read
                + ", stderr:\n"
                + Files.readString(err));
      }
      read.add(line);
      return line;
    }

    /** Reads up to the line that says how the run ended, then waits for the exit. */
    Finished finish() throws Exception {
      while (!next().has("outcome")) {
        // events before the outcome are kept in read
      }
      assertThat(process.waitFor(TIMEOUT.toSeconds(), TimeUnit.SECONDS))
          .as("pairing.py exited")
          .isTrue();
      return new Finished(process.exitValue(), List.copyOf(read), Files.readString(err));
    }

    @Override
    public void close() {
      process.destroyForcibly();
    }
  }
}
