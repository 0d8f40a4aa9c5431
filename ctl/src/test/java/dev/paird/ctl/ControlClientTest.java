package dev.paird.ctl;

import static dev.paird.ctl.FakeDaemon.error;
import static dev.paird.ctl.FakeDaemon.line;
import static dev.paird.ctl.FakeDaemon.ok;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.paird.api.ControlProtocol;
import dev.paird.api.ControlProtocol.Command;
import dev.paird.api.ErrorCode;
import dev.paird.api.PairdException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.stream.Stream;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

final class ControlClientTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(10);

  @TempDir Path dir;

  private Path socket() {
    return dir.resolve("control.sock");
  }

  private JsonNode callStatus() throws PairdException {
    try (ControlClient client = ControlClient.connect(socket(), TIMEOUT)) {
      return client.call(Command.STATUS, Json.object(), TIMEOUT);
    }
  }

  private static void assertFails(ThrowingCallable call, ErrorCode code, String message) {
    assertThatThrownBy(call)
        .isInstanceOfSatisfying(
            PairdException.class,
            e -> {
              assertThat(e.code()).isEqualTo(code);
              assertThat(e.getMessage()).contains(message);
            });
  }

  @Test
  void call_okAnswer_returnsTheResult() throws Exception {
    try (FakeDaemon paird = FakeDaemon.start(socket(), ok("{\"pending_keys\":1}"))) {
      assertThat(callStatus().path("pending_keys").intValue()).isEqualTo(1);
      assertThat(paird.requests())
          .containsExactly("{\"v\":1,\"command\":\"status\",\"args\":{},\"id\":1}");
    }
  }

  @Test
  void call_withSecret_sendsItAsTheKey_andWipesItOnceSent() throws Exception {
    byte[] secret = "421234".getBytes(StandardCharsets.US_ASCII);
    try (FakeDaemon paird = FakeDaemon.start(socket(), ok("{}"));
        ControlClient client = ControlClient.connect(socket(), TIMEOUT)) {
      client.call(Command.PAIR, Json.object().put("host", "h"), secret, TIMEOUT);

      assertThat(paird.requests()).singleElement().asString().contains("\"key\":\"421234\"");
      assertThat(secret).containsOnly(0);
    }
  }

  @Test
  void call_newKeyAnswer_holdsItsKeyAsASecret_notAsText() throws Exception {
    try (FakeDaemon paird = FakeDaemon.start(socket(), ok("{\"id\":\"42\",\"key\":\"42-1234\"}"));
        ControlClient client = ControlClient.connect(socket(), TIMEOUT)) {
      JsonNode issued = client.call(Command.NEW_KEY, Json.object(), TIMEOUT);

      assertThat(SecretValue.in(issued.path("key"))).isNotNull();
      assertThat(issued.toString()).doesNotContain("1234");
    }
  }

  @Test
  void call_twice_usesOneConnection() throws Exception {
    try (FakeDaemon paird =
            FakeDaemon.start(
                socket(), ok("{\"id\":\"42\"}"), ok("{\"id\":\"42\",\"outcome\":\"expired\"}"));
        ControlClient client = ControlClient.connect(socket(), TIMEOUT)) {
      client.call(Command.NEW_KEY, Json.object(), TIMEOUT);

      JsonNode outcome = client.call(Command.WAIT_KEY, Json.object().put("id", "42"), TIMEOUT);

      assertThat(outcome.path("outcome").textValue()).isEqualTo("expired");
      assertThat(paird.requests()).hasSize(2);
      assertThat(paird.requests().get(1)).contains("\"wait-key\"", "\"id\":\"42\"");
    }
  }

  @ParameterizedTest
  @EnumSource(ErrorCode.class)
  void call_errorAnswer_throwsItsCodeAndMessage(ErrorCode code) throws Exception {
    try (FakeDaemon paird = FakeDaemon.start(socket(), error(code.wireName(), "it went wrong"))) {
      assertFails(this::callStatus, code, "it went wrong");
    }
  }

  @Test
  void call_errorCodeFromANewerDaemon_isInternalNamingTheCode() throws Exception {
    try (FakeDaemon paird = FakeDaemon.start(socket(), error("quantum_flux", "try again later"))) {
      assertFails(
          this::callStatus,
          ErrorCode.INTERNAL,
          "try again later (paird's error code 'quantum_flux' is unknown to this pairctl)");
    }
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "garbage",
        "[]",
        "{}",
        "{\"ok\":true,\"result\":{}}",
        "{\"v\":\"1\",\"ok\":true,\"result\":{}}",
        "{\"v\":1}",
        "{\"v\":1,\"ok\":\"yes\",\"result\":{}}",
        "{\"v\":1,\"ok\":true}",
        "{\"v\":1,\"ok\":true,\"result\":[]}",
        "{\"v\":1,\"ok\":false}",
        "{\"v\":1,\"ok\":false,\"error\":{\"code\":5,\"message\":\"x\"}}",
        "{\"v\":1,\"ok\":false,\"error\":{\"code\":\"busy\"}}",
        "{\"v\":1,\"ok\":true,\"result\":{}} trailing",
        "",
      })
  void call_malformedAnswer_isInternal(String answer) throws Exception {
    try (FakeDaemon paird = FakeDaemon.start(socket(), line(answer))) {
      assertFails(
          this::callStatus, ErrorCode.INTERNAL, "paird sent an answer this pairctl cannot read: ");
    }
  }

  /** Answers that are not JSON, some of them past the parser's limits on nesting and numbers. */
  static Stream<String> notJson() {
    return Stream.of(
        "garbage",
        "{\"v\":1,\"ok\":true,\"result\":{}} trailing",
        "{\"v\":1,\"ok\":true,\"result\":{\"a\":\"\u0001\"}}",
        "{\"v\":1,\"ok\":true,\"result\":{\"a\":1" + "0".repeat(2000) + "}}",
        "[".repeat(40) + "]".repeat(40));
  }

  @ParameterizedTest
  @MethodSource("notJson")
  void call_answerThatIsNotJson_saysWhereItWentWrong_notWhatTheParserSaid(String answer)
      throws Exception {
    try (FakeDaemon paird = FakeDaemon.start(socket(), line(answer))) {
      assertThatThrownBy(this::callStatus)
          .isInstanceOfSatisfying(
              PairdException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INTERNAL))
          .hasMessageMatching(
              "paird sent an answer this pairctl cannot read: it is not one JSON value"
                  + "( \\(at byte [0-9]+\\))?");
    }
  }

  @Test
  void call_otherProtocolVersion_saysWhichPairctlToUse() throws Exception {
    try (FakeDaemon paird =
        FakeDaemon.start(socket(), line("{\"v\":2,\"ok\":true,\"result\":{}}"))) {
      assertFails(
          this::callStatus,
          ErrorCode.INTERNAL,
          "paird answered in control protocol version 2, and this pairctl speaks version 1");
    }
  }

  @Test
  void call_answerOfTheLongestAllowedLength_isRead() throws Exception {
    String head = "{\"v\":1,\"ok\":true,\"result\":{\"pad\":\"";
    String tail = "\"}}";
    String pad = "x".repeat(ControlProtocol.MAX_RESPONSE_BYTES - head.length() - tail.length());

    try (FakeDaemon paird = FakeDaemon.start(socket(), line(head + pad + tail))) {
      assertThat(callStatus().path("pad").textValue()).hasSize(pad.length());
    }
  }

  @Test
  void call_oversizedAnswer_isInternal() throws Exception {
    String huge =
        "{\"v\":1,\"ok\":true,\"result\":{\"pad\":\""
            + "x".repeat(ControlProtocol.MAX_RESPONSE_BYTES)
            + "\"}}";

    try (FakeDaemon paird = FakeDaemon.start(socket(), line(huge))) {
      assertFails(
          this::callStatus, ErrorCode.INTERNAL, "cannot read: it is longer than 16777216 bytes");
    }
  }

  @Test
  void call_endlessLineWithoutNewline_stopsAtTheLimit() throws Exception {
    byte[] endless = new byte[ControlProtocol.MAX_RESPONSE_BYTES * 3];
    java.util.Arrays.fill(endless, (byte) 'x');

    try (FakeDaemon paird = FakeDaemon.start(socket(), new FakeDaemon.Reply.Raw(endless))) {
      assertFails(this::callStatus, ErrorCode.INTERNAL, "it is longer than 16777216 bytes");
    }
  }

  @Test
  void call_connectionClosedWithoutAnswer_isInternal() throws Exception {
    try (FakeDaemon paird = FakeDaemon.start(socket(), new FakeDaemon.Reply.Hangup())) {
      assertFails(
          this::callStatus, ErrorCode.INTERNAL, "paird closed the connection without answering");
    }
  }

  @Test
  void call_answerCutOff_isInternal() throws Exception {
    byte[] half = "{\"v\":1,\"ok\":tr".getBytes(StandardCharsets.UTF_8);

    try (FakeDaemon paird = FakeDaemon.start(socket(), new FakeDaemon.Reply.Raw(half))) {
      assertFails(this::callStatus, ErrorCode.INTERNAL, "it was cut off after 14 bytes");
    }
  }

  @Test
  void call_noAnswerInTime_isInternal() throws Exception {
    try (FakeDaemon paird = FakeDaemon.start(socket(), new FakeDaemon.Reply.Silence());
        ControlClient client = ControlClient.connect(socket(), TIMEOUT)) {
      long start = System.nanoTime();

      assertFails(
          () -> client.call(Command.STATUS, Json.object(), Duration.ofMillis(300)),
          ErrorCode.INTERNAL,
          "paird did not answer within 0 s; it may be hung");
      assertThat(Duration.ofNanos(System.nanoTime() - start))
          .isBetween(Duration.ofMillis(300), Duration.ofSeconds(5));
    }
  }

  @Test
  void call_refusedAsBusyBeforeTheRequest_reportsBusy() throws Exception {
    try (FakeDaemon paird =
        FakeDaemon.refusing(
            socket(),
            "{\"v\":1,\"ok\":false,\"error\":{\"code\":\"busy\",\"message\":\"too many control"
                + " connections\"}}")) {
      assertFails(this::callStatus, ErrorCode.BUSY, "too many control connections");
    }
  }

  @Test
  void connect_noSocket_isDaemonUnreachable() {
    assertFails(
        this::callStatus,
        ErrorCode.DAEMON_UNREACHABLE,
        "paird is not running (no socket at "
            + socket()
            + "); start it with 'systemctl start"
            + " paird' or point --socket/PAIRD_SOCKET at the right socket");
  }

  @Test
  void connect_noDirectory_isDaemonUnreachable() {
    Path nowhere = dir.resolve("missing/control.sock");

    assertFails(
        () -> ControlClient.connect(nowhere, TIMEOUT),
        ErrorCode.DAEMON_UNREACHABLE,
        "paird is not running (no socket at " + nowhere + ")");
  }

  @Test
  void connect_socketNobodyListensOn_isDaemonUnreachable() throws Exception {
    // A crashed daemon leaves its socket file behind; closing a JDK server socket does too.
    try (ServerSocketChannel crashed = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      crashed.bind(UnixDomainSocketAddress.of(socket()));
    }
    assertThat(socket()).exists();

    assertFails(
        this::callStatus,
        ErrorCode.DAEMON_UNREACHABLE,
        "nothing is listening on " + socket() + "; paird may have crashed");
  }

  @Test
  void connect_regularFile_isNotASocket() throws Exception {
    Files.writeString(socket(), "not a socket");

    assertFails(
        this::callStatus,
        ErrorCode.DAEMON_UNREACHABLE,
        socket() + " is not a socket; point --socket or PAIRD_SOCKET at paird's control socket");
  }

  @Test
  void connect_pathTooLongForAUnixSocket_isUsage() {
    Path deep = dir.resolve("d".repeat(120) + ".sock");

    assertFails(
        () -> ControlClient.connect(deep, TIMEOUT),
        ErrorCode.USAGE,
        "is too long for a Unix socket (at most 107 bytes)");
  }
}
