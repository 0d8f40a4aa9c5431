package dev.paird.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import dev.paird.control.ControlServer;
import dev.paird.hostile.ControlConnection;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Promises of docs/CONTROL.md ("Framing", "Commands") about the control socket, checked against
 * real pairds by a client of the test's own: raw lines on a Unix socket, no pairctl code. The idle
 * timeout and the connection limit each get a paird with that setting; the rest share one paird
 * with every setting at its default, which each test finds with no key pending.
 */
final class ControlPromisesIT {
  /** The idle timeout of the pairds that test it: the shortest PairdConfig allows is 1 s. */
  private static final Duration IDLE = Duration.ofSeconds(2);

  /** How late paird may close an idle connection and still pass, on a loaded 2-core machine. */
  private static final Duration SLACK = Duration.ofSeconds(8);

  @TempDir static Path shared;

  private static Path socket;
  private static Pairctl ctl;
  private static PairdProcess paird;

  @BeforeAll
  static void start() throws Exception {
    PairdProcess.Options options = PairdProcess.in(shared);
    socket = options.socket();
    ctl = options.pairctl();
    paird = options.start();
  }

  @AfterAll
  static void stop() throws Exception {
    paird.close();
  }

  @BeforeEach
  void noKeyPending() throws Exception {
    ctl.forgetAll();
  }

  /**
   * CONTROL.md, "Framing": bytes that do not complete a line do not restart the idle time. One byte
   * every 200 ms, never a newline, keeps coming until paird closes the connection, which it does
   * about {@code control_idle_timeout} after accepting it.
   */
  @Test
  void trickleWithoutALineEnd_isClosedAtTheIdleTimeout(@TempDir Path dir) throws Exception {
    PairdProcess.Options options = idleOptions(dir);
    ScheduledExecutorService trickler = Executors.newSingleThreadScheduledExecutor();
    try (PairdProcess idle = options.start();
        ControlConnection connection = ControlConnection.open(options.socket())) {
      long accepted = System.nanoTime();
      byte[] partial =
          "{\"v\":1,\"command\":\"status\",\"id\":\"".getBytes(StandardCharsets.US_ASCII);
      AtomicInteger sent = new AtomicInteger();
      trickler.scheduleAtFixedRate(
          () -> {
            int i = sent.get();
            if (connection.trySend(new byte[] {i < partial.length ? partial[i] : (byte) 'x'})) {
              sent.incrementAndGet();
            } else {
              throw new IllegalStateException("closed"); // ends the schedule
            }
          },
          0,
          200,
          TimeUnit.MILLISECONDS);

      assertThat(connection.readLineOrEnd(IDLE.plus(SLACK)))
          .as("paird closed the connection without an answer")
          .isNull();
      Duration open = Duration.ofNanos(System.nanoTime() - accepted);

      assertThat(open).as("open until the idle timeout").isGreaterThan(IDLE.minusMillis(300));
      assertThat(sent.get()).as("bytes trickled while it was open").isGreaterThanOrEqualTo(5);
    } finally {
      trickler.shutdownNow();
    }
  }

  /**
   * CONTROL.md, "Framing": a request in progress is never cut short by the idle timeout. A wait-key
   * is sent; two idle connections opened one after the other behind it are closed by paird, so
   * twice the timeout has passed since wait-key arrived; then the key is cancelled from a third
   * connection, and the wait-key connection gets its answer.
   */
  @Test
  void waitKeyInProgress_outlastsTheIdleTimeout(@TempDir Path dir) throws Exception {
    PairdProcess.Options options = idleOptions(dir);
    try (PairdProcess idle = options.start()) {
      JsonNode issued =
          exchange(
              options.socket(), "{\"v\":1,\"command\":\"new-key\",\"args\":{\"ttl_seconds\":30}}");
      String keyId = issued.path("result").path("id").textValue();
      assertThat(keyId).as("%s", issued).isNotNull();

      try (ControlConnection waiting = ControlConnection.open(options.socket())) {
        waiting.send(
            "{\"v\":1,\"command\":\"wait-key\",\"args\":{\"id\":\"" + keyId + "\"},\"id\":\"w\"}");
        for (int probe = 0; probe < 2; probe++) {
          try (ControlConnection silent = ControlConnection.open(options.socket())) {
            assertThat(silent.readLineOrEnd(IDLE.plus(SLACK)))
                .as("an idle connection opened after wait-key is closed")
                .isNull();
          }
        }

        JsonNode cancelled =
            exchange(
                options.socket(),
                "{\"v\":1,\"command\":\"cancel-key\",\"args\":{\"id\":\"" + keyId + "\"}}");
        assertThat(cancelled.path("ok").booleanValue()).as("%s", cancelled).isTrue();

        JsonNode outcome = Pairctl.JSON.readTree(waiting.readLine(SLACK));
        assertThat(outcome.path("id").textValue()).as("%s", outcome).isEqualTo("w");
        assertThat(outcome.path("result").path("outcome").textValue()).isEqualTo("cancelled");
      }
    }
  }

  /**
   * CONTROL.md, "Framing": at most {@code control_max_connections} connections are open at once;
   * one more is answered busy without an id before anything is read from it, and closed. The test
   * runs as root, which paird holds only to the total (a uid other than root gets a quarter, which
   * ControlSocketIT checks).
   */
  @Test
  void overControlMaxConnections_isToldBusyWithoutAnId_andClosed(@TempDir Path dir)
      throws Exception {
    assumeTrue(
        Files.getAttribute(dir, "unix:uid").equals(0),
        "as root, only the total limit applies; another uid would meet its quarter first");
    PairdProcess.Options options = PairdProcess.in(dir).settings("control_max_connections = 4");
    List<ControlConnection> held = new ArrayList<>();
    try (PairdProcess limited = options.start()) {
      for (int i = 0; i < 4; i++) {
        ControlConnection connection = ControlConnection.open(options.socket());
        held.add(connection);
        connection.send("{\"v\":1,\"command\":\"status\",\"id\":" + i + "}");
        assertThat(Pairctl.JSON.readTree(connection.readLine(SLACK)).path("ok").booleanValue())
            .as("connection %d is served, so paird has counted it", i)
            .isTrue();
      }

      try (ControlConnection fifth = ControlConnection.open(options.socket())) {
        String line = fifth.readLine(SLACK); // before it sent anything
        JsonNode busy = Pairctl.JSON.readTree(line);
        assertThat(busy.path("v").intValue()).isEqualTo(1);
        assertThat(busy.path("ok").booleanValue()).isFalse();
        assertThat(busy.path("error").path("code").textValue()).isEqualTo("busy");
        assertThat(busy.has("id")).as("%s", busy).isFalse();
        assertThat(fifth.readLineOrEnd(SLACK)).as("then closed").isNull();
      }

      held.remove(0).close();
      assertThat(servedWithin(options.socket(), SLACK))
          .as("once paird has seen one close, a new connection is served")
          .isTrue();
    } finally {
      for (ControlConnection connection : held) {
        connection.close();
      }
    }
  }

  /**
   * CONTROL.md, "new-key", and SECURITY.md, §7: at most {@code max_pending_keys} keys (16 by
   * default) are pending; one more new-key is refused with limit_reached and makes no key.
   */
  @Test
  void newKeyBeyondMaxPendingKeys_isLimitReached() throws Exception {
    try (ControlConnection connection = ControlConnection.open(socket)) {
      for (int i = 0; i < 16; i++) {
        connection.send("{\"v\":1,\"command\":\"new-key\",\"id\":" + i + "}");
        JsonNode issued = Pairctl.JSON.readTree(connection.readLine(SLACK));
        assertThat(issued.path("ok").booleanValue()).as("key %d: %s", i, issued).isTrue();
      }
      connection.send("{\"v\":1,\"command\":\"new-key\",\"id\":16}");
      JsonNode refused = Pairctl.JSON.readTree(connection.readLine(SLACK));

      assertThat(refused.path("error").path("code").textValue()).isEqualTo("limit_reached");
      assertThat(refused.path("id").intValue()).isEqualTo(16);
    }
    assertThat(listKeys()).hasSize(16);
  }

  /**
   * CONTROL.md, "Framing": a duplicate field is a bad_request whose message names it, at the top
   * level and inside args, and the request does not run.
   */
  @ParameterizedTest
  @ValueSource(
      strings = {
        "{\"v\":1,\"command\":\"status\",\"command\":\"new-key\"}",
        "{\"v\":1,\"command\":\"new-key\",\"args\":{\"suite\":\"hmac\",\"suite\":\"spake2\"}}"
      })
  void duplicateField_isABadRequestNamingIt_andNothingRuns(String request) throws Exception {
    String field = request.contains("\"suite\"") ? "\"suite\"" : "\"command\"";

    JsonNode answer = exchange(socket, request);

    assertThat(answer.path("error").path("code").textValue()).isEqualTo("bad_request");
    assertThat(answer.path("error").path("message").textValue()).contains(field);
    assertThat(listKeys()).isEmpty();
  }

  /**
   * CONTROL.md, "Framing", "Requests" and "Error codes": each line is refused with bad_request, and
   * the new-key it holds makes no key. {@link #atTheLimits_requestsAreRead} shows that nesting and
   * numbers just within the bounds are read.
   */
  @ParameterizedTest
  @ValueSource(
      strings = {
        // a field not listed, in the request and in args
        "{\"v\":1,\"command\":\"new-key\",\"extra\":true}",
        "{\"v\":1,\"command\":\"new-key\",\"args\":{\"extra\":true}}",
        // nesting 9 levels deep: the object, args and 7 arrays
        "{\"v\":1,\"command\":\"new-key\",\"args\":{\"suite\":[[[[[[[]]]]]]]}}",
        // a number of 21 characters
        "{\"v\":1,\"command\":\"new-key\",\"id\":123456789012345678901}",
        "{\"v\":1,\"command\":\"new-key\",\"id\":-12345678901234567890}",
        "{\"v\":1,\"command\":\"new-key\",\"id\":0.1234567890123456789}",
        // an id that is an object or an array
        "{\"v\":1,\"command\":\"new-key\",\"id\":{}}",
        "{\"v\":1,\"command\":\"new-key\",\"id\":[1]}",
        // a v that is not a whole number fitting in 32 bits
        "{\"v\":4294967297,\"command\":\"new-key\"}",
      })
  void refusedRequest_isABadRequest_andDoesNotRun(String request) throws Exception {
    JsonNode answer = exchange(socket, request);

    assertThat(answer.path("error").path("code").textValue())
        .as("%s", answer)
        .isEqualTo("bad_request");
    assertThat(listKeys()).isEmpty();
  }

  /**
   * CONTROL.md, "Responses": a message says what went wrong and what to do. A request past the
   * bound on nesting, and one past the bound on numbers, each get a message that names the bound it
   * broke, not the other, and where; a number's says to send the id as a string.
   */
  @Test
  void pastTheBoundOnNestingOrOnNumbers_theMessageNamesWhichBound() throws Exception {
    String nesting =
        exchange(socket, "{\"v\":1,\"command\":\"new-key\",\"args\":{\"suite\":[[[[[[[]]]]]]]}}")
            .path("error")
            .path("message")
            .textValue();
    assertThat(nesting).contains("nests").contains("8 levels").doesNotContain("number");

    for (String number : List.of("123456789012345678901", "9".repeat(1000), "1e2147483648")) {
      String message =
          exchange(socket, "{\"v\":1,\"command\":\"new-key\",\"id\":" + number + "}")
              .path("error")
              .path("message")
              .textValue();
      assertThat(message)
          .as(number)
          .contains("number")
          .contains("(column ")
          .contains("as a string")
          .doesNotContain("nests");
    }
    assertThat(listKeys()).isEmpty();
  }

  /** The controls of the refusals above: at the limits, the same requests pass the framing. */
  @Test
  void atTheLimits_requestsAreRead() throws Exception {
    JsonNode eightDeepArg =
        exchange(socket, "{\"v\":1,\"command\":\"new-key\",\"args\":{\"suite\":[[[[[[]]]]]]}}");
    assertThat(eightDeepArg.path("error").path("code").textValue())
        .as("8 levels are read: the suite is refused for its type")
        .isEqualTo("invalid_argument");

    for (String number :
        List.of("12345678901234567890", "-1234567890123456789", "0.123456789012345678")) {
      JsonNode answer =
          Pairctl.JSON
              .reader()
              .with(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
              .readTree(
                  Pairctl.exchange(
                      socket, "{\"v\":1,\"command\":\"status\",\"id\":" + number + "}\n"));
      assertThat(answer.path("ok").booleanValue()).as("%s", answer).isTrue();
      assertThat(answer.path("id").decimalValue())
          .as("%s, 20 characters, is echoed", number)
          .isEqualByComparingTo(new BigDecimal(number));
    }
  }

  /**
   * CONTROL.md, "Framing", and SECURITY.md, §7: for a client that sends requests and reads none of
   * the answers, paird keeps no more answers than its socket's send buffer and {@link
   * ControlServer#UNREAD_ANSWER_BYTES} hold, and runs no more requests. Requests whose answers are
   * some 8 KiB each (a remove that finds nothing, its long id echoed) are sent on one connection,
   * each once paird has run the one before (its audit line is logged), until paird runs one no more
   * or four times the bound have run. Then the client reads: every request sent is answered, in
   * order, and the connection serves on.
   */
  @Test
  void clientThatReadsNoAnswers_hasOnlyWhatTheBuffersHoldRun() throws Exception {
    String id = "x".repeat(8000);
    int answerLength =
        Pairctl.exchange(socket, remove(0, id) + "\n").getBytes(StandardCharsets.UTF_8).length + 1;
    // The size of paird's side of a new Unix socket: it sets none. (readString stops short on a
    // file of /proc, whose size is 0.)
    long socketBuffer =
        Long.parseLong(
            Files.readAllLines(Path.of("/proc/sys/net/core/wmem_default")).get(0).strip());
    // The buffers' bytes in answers, one more that crossed the mark, and the one in flight.
    long bound = (socketBuffer + ControlServer.UNREAD_ANSWER_BYTES) / answerLength + 2;

    try (ControlConnection connection = ControlConnection.open(socket)) {
      int sent = 0;
      int ran = 0;
      while (ran < 4 * bound) {
        connection.send(remove(++sent, id));
        String audited = "command=remove prefix=" + prefix(sent) + " result=error=not_found";
        if (paird.logLineWithin(line -> line.contains(audited), SLACK).isEmpty()) {
          break;
        }
        ran++;
      }

      assertThat(ran)
          .as(
              "requests run while none of their answers (%d bytes each) was read; the socket's"
                  + " send buffer holds %d bytes",
              answerLength, socketBuffer)
          .isLessThanOrEqualTo((int) bound);
      for (int i = 1; i <= sent; i++) {
        JsonNode answer = Pairctl.JSON.readTree(connection.readLine(SLACK));
        assertThat(answer.path("error").path("code").textValue())
            .as("answer %d", i)
            .isEqualTo("not_found");
        assertThat(answer.path("id").textValue()).as("answer %d", i).isEqualTo(i + id);
      }
      connection.send(status().strip());
      JsonNode next = Pairctl.JSON.readTree(connection.readLine(SLACK));
      assertThat(next.path("ok").booleanValue()).as("%s", next).isTrue();
    }
  }

  /**
   * A remove of a prefix no peer has, numbered {@code n}, with the id {@code n} then {@code id}.
   */
  private static String remove(int n, String id) {
    return "{\"v\":1,\"command\":\"remove\",\"args\":{\"fingerprint\":\""
        + prefix(n)
        + "\"},\"id\":\""
        + n
        + id
        + "\"}";
  }

  private static String prefix(int n) {
    return String.format(Locale.ROOT, "f0f0%08x", n);
  }

  /** CONTROL.md, "Error codes": a v other than 1 that fits in 32 bits is unsupported_version. */
  @Test
  void version2_isUnsupportedVersion_andDoesNotRun() throws Exception {
    JsonNode answer = exchange(socket, "{\"v\":2,\"command\":\"new-key\",\"id\":7}");

    assertThat(answer.path("error").path("code").textValue()).isEqualTo("unsupported_version");
    assertThat(answer.path("id").intValue()).isEqualTo(7);
    assertThat(listKeys()).isEmpty();
  }

  /**
   * CONTROL.md, "Framing": UTF-32, which JSON readers often accept, is a bad_request (the request
   * in either byte order, ended by one newline byte); the connection is still served after it.
   */
  @ParameterizedTest
  @ValueSource(strings = {"UTF-32BE", "UTF-32LE"})
  void requestInUtf32_isABadRequest_andDoesNotRun(String charset) throws Exception {
    byte[] text = "{\"v\":1,\"command\":\"new-key\"}".getBytes(Charset.forName(charset));

    try (ControlConnection connection = ControlConnection.open(socket)) {
      connection.sendBytes(ByteBuffer.allocate(text.length + 1).put(text).put((byte) '\n').array());
      JsonNode answer = Pairctl.JSON.readTree(connection.readLine(SLACK));
      assertThat(answer.path("error").path("code").textValue()).isEqualTo("bad_request");

      connection.sendBytes(status().getBytes(StandardCharsets.UTF_8));
      JsonNode next = Pairctl.JSON.readTree(connection.readLine(SLACK));
      assertThat(next.path("ok").booleanValue()).as("%s", next).isTrue();
    }
    assertThat(listKeys()).isEmpty();
  }

  private static PairdProcess.Options idleOptions(Path dir) {
    return PairdProcess.in(dir).settings("control_idle_timeout = " + IDLE.toSeconds() + "s");
  }

  /**
   * Whether a status request on a new connection is served within {@code bound}: paird counts a
   * closed connection out when it sees the close, so until then a newcomer may still be told busy.
   */
  private static boolean servedWithin(Path socket, Duration bound) throws Exception {
    long end = System.nanoTime() + bound.toNanos();
    do {
      JsonNode answer;
      try (ControlConnection connection = ControlConnection.open(socket)) {
        // A connection paird turns away is told busy at once and closed, perhaps before the
        // request is written, which then fails; the busy line is there to read all the same.
        connection.trySend(status().getBytes(StandardCharsets.UTF_8));
        answer = Pairctl.JSON.readTree(connection.readLine(bound));
      }
      if (answer.path("ok").booleanValue()) {
        return true;
      }
      assertThat(answer.path("error").path("code").textValue()).isEqualTo("busy");
    } while (System.nanoTime() < end);
    return false;
  }

  private static String status() {
    return "{\"v\":1,\"command\":\"status\"}\n";
  }

  /** The answer to one request line, sent on a fresh connection. */
  private static JsonNode exchange(Path socket, String request) throws Exception {
    return Pairctl.JSON.readTree(Pairctl.exchange(socket, request + "\n"));
  }

  /** The pending keys, asked over a raw connection. */
  private static List<JsonNode> listKeys() throws Exception {
    JsonNode answer = exchange(socket, "{\"v\":1,\"command\":\"list-keys\"}");
    assertThat(answer.path("ok").booleanValue()).as("%s", answer).isTrue();
    List<JsonNode> keys = new ArrayList<>();
    answer.path("result").path("keys").forEach(keys::add);
    return keys;
  }
}
