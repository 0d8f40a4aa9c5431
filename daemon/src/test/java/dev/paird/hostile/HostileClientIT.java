package dev.paird.hostile;

import static dev.paird.hostile.LiveDaemon.source;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.paird.daemon.Pairctl;
import dev.paird.hostile.RawConnection.Ending;
import dev.paird.hostile.RawConnection.Received;
import dev.paird.testing.OpenSslCli;
import dev.paird.testing.OpenSslCli.KeyType;
import dev.paird.testing.OpenSslCli.SelfSigned;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A client with a valid certificate and TLS, but its own frames: malformed ones, spake2 exchanges
 * it abandons, and session resumption. The frames are built by hand from docs/PROTOCOL.md; nothing
 * here uses paird's protocol code.
 */
final class HostileClientIT {
  private static final Duration BOUND = Duration.ofSeconds(10);

  /** A handshake message in s_client's -msg trace, as received ("<<<"). */
  private static final Pattern RECEIVED_HANDSHAKE =
      Pattern.compile("(?m)^<<< TLS 1\\.3, Handshake \\[length [0-9a-f]+\\], (\\w+)$");

  @TempDir static Path dir;

  /** The device under attack, and an honest device that types the real key afterwards. */
  private static LiveDaemon server;

  private static LiveDaemon honest;
  private static SelfSigned mallory;
  private static SSLContext client;

  @BeforeAll
  static void start() throws Exception {
    server =
        LiveDaemon.start(dir, "server", "exchange_timeout = 8s", "rate_limit_per_minute = 6000");
    honest = LiveDaemon.start(dir, "honest");
    mallory = OpenSslCli.newSelfSigned(dir, "mallory", KeyType.EC_P256);
    client = JdkTls.context(mallory);
  }

  @AfterAll
  static void stop() throws Exception {
    LiveDaemon.closeAll(server, honest);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource({
    "unknown type,               55 00 00,                   22",
    "wrong length for its type,  01 00 05 01 02 03 04 05,    23",
    "length above the maximum,   11 ff ff,                   24"
  })
  void malformedFrame_isAnsweredMalformed_closed_andLogged(String what, String frame, int host)
      throws Exception {
    try (RawConnection connection =
        RawConnection.open(client, source(host), server.pairingPort, BOUND)) {
      connection.send(Wire.hex(frame));

      Received received = connection.readToEnd(BOUND);

      assertThat(received.hex())
          .as("the answer to %s", what)
          .isEqualTo(Wire.hex(Wire.ERROR_MALFORMED));
      assertThat(received.ending()).as("after %s", received).isEqualTo(Ending.EOF);
      String source = "127.0.3." + host;
      String line =
          server.process.awaitLogLine(
              l -> l.contains(source) && l.contains("malformed frame"),
              "saying the frame from " + source + " was malformed",
              Duration.ofSeconds(5));
      // At INFO, on the pairing logger (the terminal format shows its last name part).
      assertThat(line).contains(" INFO ").contains(" pairing: ");
    }
  }

  /**
   * Three connections each send a valid client share for the key's slot, read the server's share
   * (so each reserved an attempt) and hang up without confirming. That is three failed attempts:
   * the key is burned, wait-key says so, and the right code no longer pairs.
   */
  @Test
  void spake2_threeAbandonedExchanges_burnTheKey() throws Exception {
    try (LiveDaemon.WaitingKey waiting = server.newKeyAndWait(BOUND, "--suite", "spake2")) {
      String id = waiting.id();
      assertThat(server.attemptsLeft(id)).isEqualTo(3);

      for (int attempt = 1; attempt <= 3; attempt++) {
        try (RawConnection connection =
            RawConnection.open(client, source(25), server.pairingPort, BOUND)) {
          byte[] answer = Wire.sendShare(connection, id, BOUND);

          assertThat(answer).as("attempt %d: a whole SPAKE2_SERVER_SHARE", attempt).hasSize(3 + 65);
          assertThat(Wire.hex(Arrays.copyOf(answer, 4))).isEqualTo("12 00 41 04");
        } // closed here, without SPAKE2_CLIENT_CONFIRM
      }
      JsonNode outcome = waiting.outcome(BOUND);
      Pairctl.Result right = honest.pair(server.address, waiting.key());

      assertThat(outcome.path("id").textValue()).isEqualTo(id);
      assertThat(outcome.path("outcome").textValue())
          .as("new-key --wait: %s", outcome)
          .isEqualTo("burned");
      assertThat(right.status()).as(right.err()).isEqualTo(5);
      assertThat(right.json().path("error").path("code").textValue()).isEqualTo("key_rejected");
      assertThat(server.trusted()).isEmpty();
      assertThat(honest.trusted()).isEmpty();
    }
  }

  /**
   * PROTOCOL.md, spake2 step 2: a client that knows the code can send pA = w·M, which makes K the
   * identity. The server has sent pB before it finds out, so it answers the client's confirmation
   * with ERROR(MALFORMED) and closes; the attempt is spent and nothing is trusted. w and w·M are
   * computed here from the document, with Bouncy Castle's generic curve arithmetic.
   */
  @Test
  void spake2_shareMakingKTheIdentity_getsTheServersShare_thenMalformed() throws Exception {
    JsonNode issued = server.newKey("--suite", "spake2");
    String key = issued.path("key").textValue();
    String id = issued.path("id").textValue();
    String digits = key.replace("-", "");
    byte[] secret = digits.substring(2, digits.length() - 1).getBytes(StandardCharsets.US_ASCII);

    try (RawConnection connection =
        RawConnection.open(client, source(26), server.pairingPort, BOUND)) {
      connection.send(Wire.clientShare(Integer.parseInt(id), P256.blindOfM(secret)));
      byte[] share = connection.read(3 + 65, BOUND);
      connection.send(Wire.frame(Wire.SPAKE2_CLIENT_CONFIRM, new byte[32]));
      Received rest = connection.readToEnd(BOUND);

      assertThat(Wire.hex(Arrays.copyOf(share, 4))).isEqualTo("12 00 41 04");
      assertThat(rest.hex()).isEqualTo(Wire.hex(Wire.ERROR_MALFORMED));
      assertThat(rest.ending()).isEqualTo(Ending.EOF);
    }
    assertThat(server.attemptsLeft(id)).isEqualTo(2);
    assertThat(server.trusted()).isEmpty();
  }

  /**
   * openssl s_client, asked to save the session and offer it again, gets no ticket to save and a
   * full handshake each time. The first connection sends PING, so the server answers and closes: by
   * then any NewSessionTicket it meant to send would have arrived, and -msg would show it.
   */
  @Test
  void tlsResumption_noTicketIsIssued_andEveryHandshakeIsFull() throws Exception {
    Path session = dir.resolve("session.pem");
    Files.deleteIfExists(session);

    String first = sClient("-sess_out", session.toString());
    String second = Files.exists(session) ? sClient("-sess_in", session.toString()) : null;

    assertThat(first).as("s_client's output").contains("ALPN protocol: paird/1");
    assertThat(sessionLine(first)).startsWith("New, TLSv1.3");
    SoftAssertions softly = new SoftAssertions();
    softly
        .assertThat(handshakeMessagesReceived(first))
        .as("handshake messages the server sent")
        .contains("Finished")
        .doesNotContain("NewSessionTicket");
    softly.assertThat(session).as("a session s_client could resume").doesNotExist();
    if (second != null) {
      softly
          .assertThat(sessionLine(second))
          .as("the connection offering the saved session")
          .startsWith("New, TLSv1.3");
    }
    softly.assertAll();
  }

  /**
   * PROTOCOL.md §1: a client that offers a PSK gets a full handshake. paird issues no tickets, so
   * the session comes from another server: an openssl s_server that does, to which the same session
   * is offered back as a control and resumed there.
   */
  @Test
  void tlsResumption_aSessionFromAnotherServer_isOffered_andGetsAFullHandshake() throws Exception {
    Path session = dir.resolve("other-server.pem");
    int port;
    try (ServerSocket free = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = free.getLocalPort();
    }
    Process other =
        new ProcessBuilder(
                "openssl",
                "s_server",
                "-accept",
                "127.0.0.1:" + port,
                "-cert",
                mallory.cert().toString(),
                "-key",
                mallory.key().toString(),
                "-tls1_3",
                "-alpn",
                JdkTls.ALPN,
                "-www",
                "-naccept",
                "2")
            .redirectErrorStream(true)
            .start();
    try {
      BufferedReader out =
          new BufferedReader(new InputStreamReader(other.getInputStream(), StandardCharsets.UTF_8));
      for (String line = out.readLine(); !"ACCEPT".equals(line); line = out.readLine()) {
        assertThat(line).as("s_server's output before ACCEPT").isNotNull();
      }
      String address = "127.0.0.1:" + port;
      String first = sClientTo(address, "GET / HTTP/1.0\r\n\r\n", "-sess_out", session.toString());
      assertThat(session).as("the session s_server's ticket gave").exists();
      String again = sClientTo(address, "GET / HTTP/1.0\r\n\r\n", "-sess_in", session.toString());
      String toPaird = sClient("-sess_in", session.toString());

      assertThat(sessionLine(first)).startsWith("New, TLSv1.3");
      assertThat(sessionLine(again)).as("offered back to s_server").startsWith("Reused, TLSv1.3");
      // The session is offered: the ClientHello s_client sent paird carries a pre_shared_key
      // extension; paird's ServerHello takes none, and the handshake is a full one.
      assertThat(helloExtensions(toPaird, ">>>", CLIENT_HELLO))
          .as("extensions of the ClientHello offered to paird")
          .contains(PRE_SHARED_KEY);
      assertThat(helloExtensions(toPaird, "<<<", SERVER_HELLO))
          .as("extensions of paird's ServerHello")
          .isNotEmpty()
          .doesNotContain(PRE_SHARED_KEY);
      assertThat(sessionLine(toPaird)).as("offered to paird").startsWith("New, TLSv1.3");
      assertThat(toPaird).contains("\u007f\u0000\u0001\u0006"); // and the PING is answered
    } finally {
      other.destroyForcibly();
    }
  }

  /**
   * PROTOCOL.md §1: a client offering several protocols with paird/1 among them gets paird/1 and
   * its exchange; one that does not offer it gets no ALPN, and the server closes after the
   * handshake without taking its frame.
   */
  @Test
  void alpn_pairdAmongOthers_isSelected_andWithoutIt_theServerClosesUnheard() throws Exception {
    // s_client writes what it receives as it is: mallory is not trusted, so the PING is
    // answered ERROR(NOT_TRUSTED).
    String notTrusted = "\u007f\u0000\u0001\u0006";
    String among = sClientOffering("h2,paird/1");
    assertThat(among).contains("ALPN protocol: paird/1").contains(notTrusted);

    String without = sClientOffering("h2,http/1.1");
    assertThat(without).contains("No ALPN negotiated").doesNotContain("\u007f\u0000\u0001");
    server.process.awaitLogLine(
        l -> l.contains("127.0.0.1") && l.contains("ALPN " + JdkTls.ALPN + " was not agreed"),
        "closing the connection that did not offer paird/1",
        Duration.ofSeconds(5));
  }

  /** s_client's line saying whether the session is new or resumed: "New, ..." or "Reused, ...". */
  private static String sessionLine(String output) {
    return output
        .lines()
        .filter(line -> line.matches("(New|Reused), .*"))
        .findFirst()
        .orElse("(no New/Reused line in s_client's output)");
  }

  private static final int CLIENT_HELLO = 1;
  private static final int SERVER_HELLO = 2;

  /** RFC 8446 §4.2: the pre_shared_key extension. */
  private static final int PRE_SHARED_KEY = 0x0029;

  /** A line of bytes in s_client's -msg trace: hexadecimal pairs under a message's header. */
  private static final Pattern HEX_LINE = Pattern.compile("^ {4}((?:[0-9a-f]{2} ?)+)$");

  private static final Pattern HEX_PAIR = Pattern.compile("[0-9a-f]{2}");

  /**
   * The extension types of the first hello of type {@code helloType} that s_client's -msg trace
   * shows going {@code direction} (">>>" sent, "<<<" received), read from its bytes as RFC 8446
   * §4.1.2 and §4.1.3 lay them out. Empty if there is no such message.
   */
  private static List<Integer> helloExtensions(String output, String direction, int helloType) {
    List<byte[]> messages = new ArrayList<>();
    ByteArrayOutputStream current = null;
    for (String line : output.lines().toList()) {
      Matcher hex = HEX_LINE.matcher(line);
      if (line.startsWith(">>> ") || line.startsWith("<<< ")) {
        if (current != null) {
          messages.add(current.toByteArray());
        }
        current = line.startsWith(direction + " ") ? new ByteArrayOutputStream() : null;
      } else if (current != null && hex.matches()) {
        Matcher pair = HEX_PAIR.matcher(hex.group(1));
        while (pair.find()) {
          current.write(Integer.parseInt(pair.group(), 16));
        }
      } else if (current != null) {
        messages.add(current.toByteArray());
        current = null;
      }
    }
    if (current != null) {
      messages.add(current.toByteArray());
    }
    for (byte[] m : messages) {
      if (m.length > 4 && m[0] == helloType && length(m, 1, 3) == m.length - 4) {
        ByteBuffer b = ByteBuffer.wrap(m, 4, m.length - 4);
        b.position(b.position() + 2 + 32); // legacy_version, random
        b.position(b.position() + 1 + Byte.toUnsignedInt(b.get(b.position()))); // session id
        if (helloType == CLIENT_HELLO) {
          b.position(b.position() + 2 + Short.toUnsignedInt(b.getShort(b.position()))); // suites
          b.position(b.position() + 1 + Byte.toUnsignedInt(b.get(b.position()))); // compression
        } else {
          b.position(b.position() + 2 + 1); // cipher_suite, legacy_compression_method
        }
        int end = b.position() + 2 + Short.toUnsignedInt(b.getShort());
        assertThat(end).as("extensions' length within the hello").isEqualTo(m.length);
        List<Integer> types = new ArrayList<>();
        while (b.position() < end) {
          types.add(Short.toUnsignedInt(b.getShort()));
          b.position(b.position() + 2 + Short.toUnsignedInt(b.getShort(b.position())));
        }
        return types;
      }
    }
    return List.of();
  }

  private static int length(byte[] bytes, int from, int count) {
    int value = 0;
    for (int i = from; i < from + count; i++) {
      value = value << 8 | Byte.toUnsignedInt(bytes[i]);
    }
    return value;
  }

  /** The names of the handshake messages s_client's -msg trace shows arriving. */
  private static List<String> handshakeMessagesReceived(String output) {
    Matcher m = RECEIVED_HANDSHAKE.matcher(output);
    List<String> names = new ArrayList<>();
    while (m.find()) {
      names.add(m.group(1));
    }
    return names;
  }

  /** Runs s_client with mallory's certificate, sends PING, reads until the server closes. */
  private static String sClient(String... options) throws Exception {
    return sClientOffering("paird/1", options);
  }

  /** As {@link #sClient}, offering the ALPN protocols {@code alpn} (comma-separated). */
  private static String sClientOffering(String alpn, String... options) throws Exception {
    Path ping = Files.write(dir.resolve("ping.bin"), Wire.frame(Wire.PING, new byte[0]));
    return sClient(server.address, alpn, ping, options);
  }

  /** s_client to {@code address}, offering paird/1 and sending {@code input}. */
  private static String sClientTo(String address, String input, String... options)
      throws Exception {
    Path request =
        Files.write(
            Files.createTempFile(dir, "input", ".bin"), input.getBytes(StandardCharsets.US_ASCII));
    return sClient(address, JdkTls.ALPN, request, options);
  }

  /** Runs s_client with mallory's certificate, sends {@code input}, reads until the end. */
  private static String sClient(String address, String alpn, Path input, String... options)
      throws Exception {
    List<String> command =
        new ArrayList<>(
            List.of(
                "openssl",
                "s_client",
                "-connect",
                address,
                "-tls1_3",
                "-alpn",
                alpn,
                "-cert",
                mallory.cert().toString(),
                "-key",
                mallory.key().toString(),
                "-msg",
                "-ign_eof"));
    command.addAll(List.of(options));
    Path output = Files.createTempFile(dir, "s_client", ".txt");
    Process process =
        new ProcessBuilder(command)
            .redirectInput(input.toFile())
            .redirectOutput(output.toFile())
            .redirectErrorStream(true)
            .start();
    try {
      assertThat(process.waitFor(BOUND.toSeconds(), TimeUnit.SECONDS))
          .as("s_client finished: the server closed the connection")
          .isTrue();
    } finally {
      process.destroyForcibly();
    }
    return Files.readString(output, StandardCharsets.ISO_8859_1);
  }
}
