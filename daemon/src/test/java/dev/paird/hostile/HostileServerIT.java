package dev.paird.hostile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.paird.api.Spake2Code;
import dev.paird.daemon.Pairctl.Result;
import dev.paird.testing.OpenSslCli;
import dev.paird.testing.OpenSslCli.KeyType;
import dev.paird.testing.OpenSslCli.SelfSigned;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import javax.net.ssl.SSLContext;
import org.bouncycastle.asn1.DERUTF8String;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real {@code pairctl pair}, through a real paird, against fake servers that break the protocol
 * in ways a user could meet: the wrong kind of TLS server, one with a certificate far too large,
 * and a server that sends a share that is not a point. The user must get a clear error with a
 * stable code, never a Java exception's text, and nothing may be trusted.
 */
final class HostileServerIT {
  /** What a Java exception's text looks like when it leaks into a message. */
  static final String[] EXCEPTION_TEXT = {"Exception", "Cannot ", "null", "java."};

  @TempDir static Path dir;
  private static LiveDaemon device;
  private static SSLContext fake;

  /** A well-formed spake2 code: pairctl checks the check digit before any traffic. */
  private static final String CODE =
      Spake2Code.create(17, "24681357".getBytes(StandardCharsets.US_ASCII)).format();

  @BeforeAll
  static void start() throws Exception {
    device = LiveDaemon.start(dir, "device");
    fake = JdkTls.context(OpenSslCli.newSelfSigned(dir, "fake", KeyType.EC_P256));
  }

  @AfterAll
  static void stop() throws Exception {
    LiveDaemon.closeAll(device);
  }

  @Test
  void pair_serverThatDoesNotAskForTheClientCertificate_isNotPaird() throws Exception {
    try (FakePairingServer server = FakePairingServer.start(fake, false, (c, r) -> {})) {
      Result pair = device.pair(server.address(), CODE);

      assertThat(pair.status()).as(pair.err()).isEqualTo(6);
      assertThat(pair.json().path("error").path("code").textValue()).isEqualTo("not_paird");
      assertThat(pair.err()).startsWith("pairctl: ").contains("certificate");
      assertNoExceptionText(pair);
      assertThat(device.trusted()).isEmpty();
    }
  }

  /**
   * SECURITY.md, §5: a server whose certificate has a 1024-bit RSA key fails the handshake on this
   * side, before any frame: tls_failed (exit 6), saying why; nothing is sent, nobody trusted.
   */
  @Test
  void pair_serverWithA1024BitRsaKey_isTlsFailed_andSentNothing() throws Exception {
    SSLContext weak = JdkTls.context(OpenSslCli.newSelfSigned(dir, "weak", KeyType.RSA_1024));
    try (FakePairingServer server = FakePairingServer.start(weak, true, (connection, r) -> {})) {
      Result pair = device.pair(server.address(), CODE);

      assertThat(pair.status()).as(pair.err()).isEqualTo(6);
      assertThat(pair.json().path("error").path("code").textValue()).isEqualTo("tls_failed");
      assertThat(pair.err()).contains("1024-bit RSA key");
      assertThat(catchThrowable(server::received))
          .as("the server's side of the handshake, which the device ended")
          .isNotNull();
      assertNoExceptionText(pair);
      assertThat(device.trusted()).isEmpty();
    }
  }

  @Test
  void pair_serverShareThatIsNotAPoint_isAProtocolError_andTrustsNothing() throws Exception {
    try (FakePairingServer server =
        FakePairingServer.start(
            fake,
            true,
            (connection, r) -> {
              FakePairingServer.read(connection, 3 + 66, r); // the client's share
              byte[] notAPoint = new byte[65];
              notAPoint[0] = 0x04; // uncompressed, with X = Y = 0: not on the curve
              connection.getOutputStream().write(Wire.frame(Wire.SPAKE2_SERVER_SHARE, notAPoint));
              connection.getOutputStream().flush();
            })) {
      Result pair = device.pair(server.address(), CODE);
      byte[] sent = server.received();

      assertThat(Wire.hex(Arrays.copyOf(sent, 4)))
          .as("the client's first frame")
          .isEqualTo("11 00 42 11"); // SPAKE2_CLIENT_SHARE, 66 bytes, slot 17
      assertThat(pair.status()).as(pair.err()).isEqualTo(6);
      assertThat(pair.json().path("error").path("code").textValue()).isEqualTo("protocol_error");
      assertThat(pair.err()).startsWith("pairctl: ").containsIgnoringCase("invalid SPAKE2 share");
      assertNoExceptionText(pair);
      assertThat(device.trusted()).isEmpty();
    }
  }

  /** PROTOCOL.md §1: a client on whose connection paird/1 was not agreed reports "not paird". */
  @Test
  void pair_serverThatAgreesToNoAlpn_isNotPaird_andIsSentNothing() throws Exception {
    try (FakePairingServer server =
        FakePairingServer.start(
            fake,
            parameters -> {
              parameters.setApplicationProtocols(new String[0]);
              return parameters;
            },
            (c, r) -> {})) {
      Result pair = device.pair(server.address(), CODE);

      assertThat(pair.status()).as(pair.err()).isEqualTo(6);
      assertThat(pair.json().path("error").path("code").textValue()).isEqualTo("not_paird");
      assertThat(server.received()).as("what the client sent").isEmpty();
      assertNoExceptionText(pair);
      assertThat(device.trusted()).isEmpty();
    }
  }

  /** PROTOCOL.md §1: TLS 1.3 only, on the client's side too. */
  @Test
  void pair_serverOfferingOnlyTls12_isATlsFailure() throws Exception {
    try (FakePairingServer server =
        FakePairingServer.start(
            fake,
            parameters -> {
              parameters.setProtocols(new String[] {"TLSv1.2"});
              return parameters;
            },
            (c, r) -> {})) {
      Result pair = device.pair(server.address(), CODE);

      assertThat(pair.status()).as(pair.err()).isEqualTo(6);
      assertThat(pair.json().path("error").path("code").textValue()).isEqualTo("tls_failed");
      assertNoExceptionText(pair);
      assertThat(device.trusted()).isEmpty();
    }
  }

  /**
   * A server whose certificate is 1 MiB (its subject and issuer, half a MiB each) is refused in the
   * handshake, by the client's bound on a handshake message, rather than read whole: {@code
   * tls_failed}, well before {@code handshake_timeout} (10 s), and nothing trusted.
   */
  @Test
  void pair_serverWithACertificateOfAMebibyte_isATlsFailure_atOnce() throws Exception {
    SelfSigned huge =
        HostileCertificates.create(
            dir,
            "huge",
            new X500NameBuilder(BCStyle.INSTANCE)
                .addRDN(BCStyle.CN, new DERUTF8String("x".repeat(512 * 1024)))
                .build());
    try (FakePairingServer server =
        FakePairingServer.start(JdkTls.context(huge), true, (c, r) -> {})) {
      long start = System.nanoTime();
      Result pair = device.pair(server.address(), CODE);
      Duration took = Duration.ofNanos(System.nanoTime() - start);

      assertThat(pair.status()).as(pair.err()).isEqualTo(6);
      assertThat(pair.json().path("error").path("code").textValue()).isEqualTo("tls_failed");
      assertThat(took).as("pairctl's run").isLessThan(Duration.ofSeconds(10));
      assertNoExceptionText(pair);
      assertThat(device.trusted()).isEmpty();
    }
  }

  /**
   * PROTOCOL.md §1, the client's side of "no resumption": a server of the JDK's TLS, which issues
   * session tickets, records each ClientHello. A JDK client connecting twice offers a PSK the
   * second time (the control: the tickets are usable); paird, pairing twice with it, offers none
   * either time.
   */
  @Test
  void pair_twiceWithATicketIssuingServer_offersNoSessionEitherTime() throws Exception {
    int preSharedKey = 41; // the extension a client offers a session in (RFC 8446, 4.2.11)
    try (TicketServer server = new TicketServer(fake, 4)) {
      for (int i = 0; i < 2; i++) {
        try (RawConnection connection =
            RawConnection.open(
                fake, InetAddress.getLoopbackAddress(), server.address(), Duration.ofSeconds(10))) {
          connection.send(Wire.clientShare(17, P256.randomPoint()));
          connection.readToEnd(Duration.ofSeconds(10)); // the server's ERROR, and its ticket
        }
      }
      for (int i = 0; i < 2; i++) {
        Result pair = device.pair("127.0.0.1:" + server.address().getPort(), CODE);
        assertThat(pair.status()).as(pair.err()).isEqualTo(5); // the server's REJECTED
      }
      List<List<Integer>> offered = server.extensions();

      assertThat(offered).hasSize(4);
      assertThat(offered.get(1))
          .as("the JDK client's second ClientHello (the control)")
          .contains(preSharedKey);
      assertThat(offered.get(2)).as("paird's first ClientHello").doesNotContain(preSharedKey);
      assertThat(offered.get(3)).as("paird's second ClientHello").doesNotContain(preSharedKey);
    }
  }

  /** Neither pairctl's stderr nor the error's message holds text of a Java exception. */
  static void assertNoExceptionText(Result pair) throws Exception {
    String message = pair.json().path("error").path("message").textValue();
    for (String text : EXCEPTION_TEXT) {
      assertThat(pair.err()).as("pairctl's stderr").doesNotContain(text);
      assertThat(message).as("the error message").doesNotContain(text);
    }
  }
}
