package dev.paird.hostile;

import static dev.paird.hostile.LiveDaemon.source;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.paird.api.HmacCode;
import dev.paird.api.Spake2Code;
import dev.paird.daemon.Pairctl.Result;
import dev.paird.hostile.RawConnection.Ending;
import dev.paird.hostile.RawConnection.Received;
import dev.paird.testing.OpenSslCli;
import dev.paird.testing.OpenSslCli.KeyType;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Arrays;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The error paths of PROTOCOL.md §2 and §4, from both ends, with frames built by hand from the
 * document: a raw client sends a real paird frames it may not send where it sends them (or that are
 * not valid points), and fake servers answer a real paird's {@code pairctl pair} with a reflected
 * proof, a malformed frame, the wrong frame, or silence. Each checks the exact ERROR bytes on the
 * wire, pairctl's error code and exit status, what the key's attempts became, and that nothing was
 * trusted.
 */
final class ProtocolErrorsIT {
  private static final Duration BOUND = Duration.ofSeconds(15);

  /** The client paird's exchange deadline: the least PairdConfig allows, so silence is quick. */
  private static final Duration CLIENT_EXCHANGE_TIMEOUT = Duration.ofSeconds(2);

  /** A 32-byte body of zeros, in hex. */
  private static final String ZEROS_32 =
      "00000000000000000000000000000000 00000000000000000000000000000000";

  @TempDir static Path dir;

  /** The paird raw clients attack. */
  private static LiveDaemon server;

  /** The paird whose {@code pairctl pair} meets the fake servers. */
  private static LiveDaemon device;

  private static SSLContext client;
  private static SSLContext fake;

  /** A well-formed spake2 code for slot 17: pairctl checks the check digit before any traffic. */
  private static final String CODE =
      Spake2Code.create(17, "24681357".getBytes(StandardCharsets.US_ASCII)).format();

  @BeforeAll
  static void start() throws Exception {
    server = LiveDaemon.start(dir, "server", "rate_limit_per_minute = 6000");
    device =
        LiveDaemon.start(
            dir, "device", "exchange_timeout = " + CLIENT_EXCHANGE_TIMEOUT.toSeconds() + "s");
    client = JdkTls.context(OpenSslCli.newSelfSigned(dir, "mallory", KeyType.EC_P256));
    fake = JdkTls.context(OpenSslCli.newSelfSigned(dir, "fake", KeyType.EC_P256));
  }

  /** Each test starts with no keys and nobody trusted, whatever an earlier one left. */
  @AfterEach
  void forget() throws Exception {
    server.ctl.forgetAll();
    device.ctl.forgetAll();
  }

  @AfterAll
  static void stop() throws Exception {
    LiveDaemon.closeAll(server, device);
  }

  // --- Reflection (SECURITY.md §5, PROTOCOL.md §3 and §4) ---

  /** PROTOCOL.md §3: m1 and m2 have different labels, so a server that reflects m1 is rejected. */
  @Test
  void pair_hmacServerReflectingTheRequest_isKeyRejected_andTrustsNothing() throws Exception {
    String key = HmacCode.generate(new SecureRandom()).format();
    try (FakePairingServer reflector =
        FakePairingServer.start(
            fake,
            true,
            (connection, r) -> {
              byte[] request = FakePairingServer.read(connection, 3 + 32, r);
              byte[] m1 = Arrays.copyOfRange(request, 3, request.length);
              send(connection, Wire.frame(Wire.HMAC_RESPONSE, m1));
            })) {
      Result pair = device.pair(reflector.address(), key);
      byte[] sent = reflector.received();

      assertThat(Wire.hex(Arrays.copyOf(sent, 3)))
          .as("the client's first frame")
          .isEqualTo("01 00 20"); // HMAC_REQUEST, 32 bytes
      assertThat(Wire.hex(Arrays.copyOfRange(sent, 3 + 32, sent.length)))
          .as("what the client sent after m1")
          .isIn("", Wire.hex(Wire.ERROR_REJECTED));
      assertKeyRejected(pair);
    }
  }

  /**
   * PROTOCOL.md §4: cA and cB are keyed by KcA and KcB, so a server that completes the share
   * exchange with a valid point and then returns the client's own confirmation as its own is
   * rejected.
   */
  @Test
  void pair_spake2ServerReflectingTheConfirmation_isKeyRejected_andTrustsNothing()
      throws Exception {
    try (FakePairingServer reflector =
        FakePairingServer.start(
            fake,
            true,
            (connection, r) -> {
              FakePairingServer.read(connection, 3 + 66, r); // the client's share
              send(connection, Wire.frame(Wire.SPAKE2_SERVER_SHARE, P256.randomPoint()));
              byte[] confirm = FakePairingServer.read(connection, 3 + 32, r);
              if (confirm[0] != Wire.SPAKE2_CLIENT_CONFIRM) {
                throw new IOException("not a confirmation: " + Wire.hex(confirm));
              }
              byte[] cA = Arrays.copyOfRange(confirm, 3, confirm.length);
              send(connection, Wire.frame(Wire.SPAKE2_SERVER_CONFIRM, cA));
            })) {
      Result pair = device.pair(reflector.address(), CODE);
      byte[] sent = reflector.received();

      assertThat(Wire.hex(Arrays.copyOf(sent, 4))).isEqualTo("11 00 42 11"); // share, slot 17
      assertThat(Wire.hex(Arrays.copyOfRange(sent, 3 + 66, 3 + 66 + 3)))
          .as("the client's second frame")
          .isEqualTo("13 00 20"); // SPAKE2_CLIENT_CONFIRM, 32 bytes
      assertThat(Wire.hex(Arrays.copyOfRange(sent, 3 + 66 + 3 + 32, sent.length)))
          .as("what the client sent after cA")
          .isIn("", Wire.hex(Wire.ERROR_REJECTED));
      assertKeyRejected(pair);
    }
  }

  // --- A raw client's frames where the exchange does not allow them (PROTOCOL.md §2) ---

  @ParameterizedTest(name = "{0}")
  @CsvSource({
    "SPAKE2_CLIENT_CONFIRM, 13 00 20 " + ZEROS_32 + ", 60",
    "PONG,                  22 00 00,                  61",
    "HMAC_RESPONSE,         02 00 20 " + ZEROS_32 + ", 62"
  })
  void firstFrameTheExchangeDoesNotAllow_isAnsweredUnexpected_thenClosed(
      String what, String frame, int host) throws Exception {
    try (RawConnection connection =
        RawConnection.open(client, source(host), server.pairingPort, BOUND)) {
      connection.send(Wire.hex(frame));

      Received received = connection.readToEnd(BOUND);

      assertThat(received.hex())
          .as("the answer to %s", what)
          .isEqualTo(Wire.hex(Wire.ERROR_UNEXPECTED));
      assertThat(received.ending()).as("after %s", received).isEqualTo(Ending.EOF);
    }
  }

  /** A PING is a first frame only: after a share it is UNEXPECTED, and the attempt is spent. */
  @Test
  void pingAfterAShare_isAnsweredUnexpected_thenClosed_andTheAttemptIsSpent() throws Exception {
    String id = server.newKey("--suite", "spake2").path("id").textValue();
    try (RawConnection connection =
        RawConnection.open(client, source(64), server.pairingPort, BOUND)) {
      byte[] share = Wire.sendShare(connection, id, BOUND);
      connection.send(Wire.frame(Wire.PING, new byte[0]));
      Received rest = connection.readToEnd(BOUND);

      assertThat(Wire.hex(Arrays.copyOf(share, 4))).isEqualTo("12 00 41 04");
      assertThat(rest.hex()).isEqualTo(Wire.hex(Wire.ERROR_UNEXPECTED));
      assertThat(rest.ending()).as("after %s", rest).isEqualTo(Ending.EOF);
    }
    assertThat(server.attemptsLeft(id)).isEqualTo(2);
    assertThat(server.trusted()).isEmpty();
  }

  // --- An ERROR from the client (PROTOCOL.md §2, §4 step 2) ---

  /**
   * The server closes without answering, and the attempt the share reserved counts as failed at
   * once: list-keys shows one attempt fewer as soon as the connection has ended, and the third such
   * exchange burns the key, which {@code new-key --wait} reports well before {@code
   * exchange_timeout} (30 s here) could have ended anything.
   */
  @Test
  void clientErrorAfterTheShares_isAnsweredWithNothing_andCostsTheAttemptAtOnce() throws Exception {
    try (LiveDaemon.WaitingKey waiting = server.newKeyAndWait(BOUND, "--suite", "spake2")) {
      String id = waiting.id();
      assertThat(server.attemptsLeft(id)).isEqualTo(3);

      for (int attempt = 1; attempt <= 3; attempt++) {
        try (RawConnection connection =
            RawConnection.open(client, source(65), server.pairingPort, BOUND)) {
          byte[] share = Wire.sendShare(connection, id, BOUND);
          connection.send(Wire.ERROR_REJECTED);
          Received rest = connection.readToEnd(BOUND);

          assertThat(Wire.hex(Arrays.copyOf(share, 4))).isEqualTo("12 00 41 04");
          assertThat(rest.hex()).as("what the server sent after the client's ERROR").isEmpty();
          assertThat(rest.ending()).as("after %s", rest).isEqualTo(Ending.EOF);
        }
        if (attempt < 3) {
          assertThat(server.attemptsLeft(id))
              .as("right after exchange %d closed", attempt)
              .isEqualTo(3 - attempt);
        }
      }
      JsonNode outcome = waiting.outcome(BOUND);

      assertThat(outcome.path("outcome").textValue())
          .as("new-key --wait: %s", outcome)
          .isEqualTo("burned");
      assertThat(server.trusted()).isEmpty();
    }
  }

  // --- paird as client facing a server that breaks the protocol (PROTOCOL.md §2) ---

  @Test
  void pair_serverSendingAMalformedFrame_isAProtocolError_andIsToldMalformed() throws Exception {
    // An unknown type, as HostileClientIT sends paird as a server.
    String answer = pairWithAServerThatAnswersTheShare(Wire.hex("55 00 00"), "protocol_error");
    assertThat(answer).isEqualTo(Wire.hex(Wire.ERROR_MALFORMED));
  }

  @Test
  void pair_serverSendingTheWrongFrame_isAProtocolError_andIsToldUnexpected() throws Exception {
    // A well-formed HMAC_RESPONSE, to a spake2 client.
    String answer =
        pairWithAServerThatAnswersTheShare(
            Wire.frame(Wire.HMAC_RESPONSE, new byte[32]), "protocol_error");
    assertThat(answer).isEqualTo(Wire.hex(Wire.ERROR_UNEXPECTED));
  }

  /**
   * PROTOCOL.md §2: a receiver checks the header as soon as its three bytes have arrived and never
   * buffers more than 3 + 256 bytes of a frame; paird as client too. A server whose frame claims
   * 65,535 bytes, and then sends none of them, is answered ERROR(MALFORMED) at once: pair reports
   * {@code protocol_error}, not the {@code timeout} that waiting for the body would end in.
   */
  @Test
  void pair_serverClaimingAFrameLongerThan256_isAProtocolError_andIsToldMalformed()
      throws Exception {
    String answer = pairWithAServerThatAnswersTheShare(Wire.hex("12 ff ff"), "protocol_error");
    assertThat(answer).isEqualTo(Wire.hex(Wire.ERROR_MALFORMED));
  }

  @Test
  void pair_serverFallingSilent_isATimeout_andIsToldTimeout() throws Exception {
    long start = System.nanoTime();
    String answer = pairWithAServerThatAnswersTheShare(new byte[0], "timeout");
    Duration took = Duration.ofNanos(System.nanoTime() - start);

    assertThat(answer).isEqualTo(Wire.hex(Wire.ERROR_TIMEOUT));
    assertThat(took).as("pairctl pair's run").isGreaterThanOrEqualTo(CLIENT_EXCHANGE_TIMEOUT);
  }

  /**
   * Runs {@code pairctl pair} with {@link #CODE} against a fake server that reads the client's
   * share and sends {@code reply} (nothing, for silence); checks pairctl's exit status and error
   * code and that nothing was trusted, and returns what the client sent after its share, in hex.
   */
  private static String pairWithAServerThatAnswersTheShare(byte[] reply, String code)
      throws Exception {
    try (FakePairingServer bad =
        FakePairingServer.start(
            fake,
            true,
            (connection, r) -> {
              FakePairingServer.read(connection, 3 + 66, r); // the client's share
              send(connection, reply);
            })) {
      Result pair = device.pair(bad.address(), CODE);
      byte[] sent = bad.received();

      assertThat(Wire.hex(Arrays.copyOf(sent, 4))).isEqualTo("11 00 42 11"); // share, slot 17
      assertThat(pair.status()).as(pair.err()).isEqualTo(6);
      assertThat(pair.json().path("error").path("code").textValue()).isEqualTo(code);
      assertThat(device.trusted()).isEmpty();
      return Wire.hex(Arrays.copyOfRange(sent, 3 + 66, sent.length));
    }
  }

  // --- SPAKE2 share validation (PROTOCOL.md §4) ---

  /**
   * A point whose X is written as X+p is refused as MALFORMED, and the attempt is spent; the same
   * point with X reduced (the control) gets the server's share.
   */
  @Test
  void spake2_shareWithXNotReduced_isMalformed_andSpendsTheAttempt() throws Exception {
    byte[] point = P256.pointWithSmallX();
    String id = server.newKey("--suite", "spake2").path("id").textValue();

    assertThat(shareAnswer(id, point, 66)).startsWith("12 00 41 04"); // the control
    assertThat(server.attemptsLeft(id)).isEqualTo(2);
    assertThat(shareAnswer(id, P256.withXPlusP(point), 66))
        .isEqualTo(Wire.hex(Wire.ERROR_MALFORMED));
    assertThat(server.attemptsLeft(id)).isEqualTo(1);
    assertThat(server.trusted()).isEmpty();
  }

  /** A 65-byte share that starts with 0x02 (SEC1's compressed tag) is MALFORMED: only 0x04. */
  @Test
  void spake2_shareStartingWith02_isMalformed_andSpendsTheAttempt() throws Exception {
    byte[] point = P256.randomPoint();
    point[0] = 0x02;
    String id = server.newKey("--suite", "spake2").path("id").textValue();

    assertThat(shareAnswer(id, point, 67)).isEqualTo(Wire.hex(Wire.ERROR_MALFORMED));
    assertThat(server.attemptsLeft(id)).isEqualTo(2);
    assertThat(server.trusted()).isEmpty();
  }

  /** The server draws y afresh for every exchange: the same share twice gets two server shares. */
  @Test
  void spake2_theSameShareTwice_getsTwoDifferentServerShares() throws Exception {
    byte[] point = P256.randomPoint();
    String id = server.newKey("--suite", "spake2").path("id").textValue();

    String first = shareAnswer(id, point, 68);
    String second = shareAnswer(id, point, 68);

    assertThat(first).startsWith("12 00 41 04").hasSize(second.length());
    assertThat(second).startsWith("12 00 41 04").isNotEqualTo(first);
    assertThat(server.attemptsLeft(id)).isEqualTo(1);
  }

  /**
   * Sends SPAKE2_CLIENT_SHARE(slot {@code id} ‖ {@code point}) from 127.0.3.{@code host} and
   * returns everything the server sent until it closed or the bound passed; the connection is
   * closed without a confirmation.
   */
  private static String shareAnswer(String id, byte[] point, int host) throws Exception {
    try (RawConnection connection =
        RawConnection.open(client, source(host), server.pairingPort, BOUND)) {
      connection.send(Wire.clientShare(Integer.parseInt(id), point));
      byte[] head = connection.read(4, BOUND);
      if (Wire.hex(head).startsWith("12")) {
        return Wire.hex(head) + " " + Wire.hex(connection.read(3 + 65 - 4, BOUND));
      }
      Received rest = connection.readToEnd(BOUND);
      assertThat(rest.ending()).as("after %s", rest).isEqualTo(Ending.EOF);
      return Wire.hex(head) + (rest.bytes().length == 0 ? "" : " " + rest.hex());
    }
  }

  /** Writes {@code bytes} to the client of a fake server, at once. */
  private static void send(SSLSocket connection, byte[] bytes) throws IOException {
    connection.getOutputStream().write(bytes);
    connection.getOutputStream().flush();
  }

  private static void assertKeyRejected(Result pair) throws Exception {
    assertThat(pair.status()).as(pair.err()).isEqualTo(5);
    assertThat(pair.json().path("error").path("code").textValue()).isEqualTo("key_rejected");
    assertThat(device.trusted()).isEmpty();
  }
}
