package dev.paird.hostile;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.paird.daemon.Pairctl.Result;
import dev.paird.testing.OpenSslCli;
import dev.paird.testing.OpenSslCli.KeyType;
import dev.paird.testing.OpenSslCli.SelfSigned;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SECURITY.md, "What each suite guarantees": a relay between two real devices, terminating TLS on
 * both legs with a certificate of its own and passing every pairing byte on unchanged, as an
 * attacker on the network path would. Device B types A's real key, but into a connection to the
 * relay; each device's proof is bound to the certificates it saw, so A refuses the proof it gets, B
 * trusts nothing, and nobody trusts the relay. For spake2 the relay costs A's key one attempt and
 * no more: B then pairs with the same key directly. The relay is the JDK's TLS and a byte pump,
 * none of paird's code.
 */
final class RelayIT {
  private static final Duration BOUND = Duration.ofSeconds(10);

  @TempDir static Path dir;
  private static LiveDaemon a;
  private static LiveDaemon b;
  private static SSLContext mallory;

  @BeforeAll
  static void start() throws Exception {
    a = LiveDaemon.start(dir, "a");
    b = LiveDaemon.start(dir, "b");
    // A key of its own, made now: the fixture keys are handed out per directory, so dir's first
    // would be the one a and b were given in theirs.
    Path key = OpenSslCli.generateKey(dir, "mallory", KeyType.EC_P256);
    mallory = JdkTls.context(new SelfSigned(OpenSslCli.selfSign(dir, "mallory", key), key));
  }

  @AfterAll
  static void stop() throws Exception {
    LiveDaemon.closeAll(a, b);
  }

  @Test
  void spake2_throughARelay_isRejected_costsOneAttempt_andTheKeyStillPairsDirectly()
      throws Exception {
    JsonNode issued = a.newKey("--suite", "spake2");
    String key = issued.path("key").textValue();
    String id = issued.path("id").textValue();

    byte[] relayed = pairThroughARelay_isRejected(key);

    assertThat(Wire.hex(Arrays.copyOf(relayed, 3)))
        .as("B's share reached the relay")
        .isEqualTo("11 00 42");
    assertThat(a.attemptsLeft(id)).as("one attempt spent on the relayed exchange").isEqualTo(2);

    Result direct = b.pair(a.address, key);

    assertThat(direct.status()).as(direct.err()).isZero();
    assertThat(a.trusted()).hasSize(1);
    assertThat(b.trusted()).hasSize(1);
    forget();
  }

  /**
   * hmac: the relay, posing as A, receives B's m1 (which is why an hmac key must be long: the
   * impostor can test guesses against it offline), but cannot use it. A compares it against every
   * pending hmac key over the certificates A saw, finds no match, charges the key an attempt and
   * refuses.
   */
  @Test
  void hmac_throughARelay_isRejected_andNobodyTrustsTheRelay() throws Exception {
    JsonNode issued = a.newKey("--suite", "hmac");
    String key = issued.path("key").textValue();
    String id = issued.path("id").textValue();

    byte[] relayed = pairThroughARelay_isRejected(key);

    assertThat(Wire.hex(Arrays.copyOf(relayed, 3)))
        .as("B's m1, as the relay captured it")
        .isEqualTo("01 00 20");
    assertThat(relayed).hasSize(3 + 32);
    assertThat(a.attemptsLeft(id)).isEqualTo(2);
    assertThat(a.ctl.run("cancel-key", id).status()).isZero();
  }

  /**
   * B pairs with {@code key} through the relay: checks that B is told the key was rejected and that
   * neither device trusts anyone, and returns what B sent the relay.
   */
  private static byte[] pairThroughARelay_isRejected(String key) throws Exception {
    byte[] relayed;
    Result throughRelay;
    try (FakePairingServer relay = FakePairingServer.start(mallory, true, RelayIT::relayToA)) {
      throughRelay = b.pair(relay.address(), key);
      relayed = relay.received();
    }
    assertThat(throughRelay.status()).as(throughRelay.err()).isEqualTo(5);
    assertThat(throughRelay.json().path("error").path("code").textValue())
        .isEqualTo("key_rejected");
    assertThat(a.trusted()).isEmpty();
    assertThat(b.trusted()).isEmpty();
    return relayed;
  }

  /**
   * The relay's script: with B's connection up, connects to A as a client with the relay's own
   * certificate and passes bytes both ways until either side closes, recording what B sent.
   */
  private static void relayToA(SSLSocket fromB, ByteArrayOutputStream sentByB) throws IOException {
    try (RawConnection toA =
        RawConnection.open(mallory, InetAddress.getLoopbackAddress(), a.pairingPort, BOUND)) {
      Thread back =
          new Thread(
              () -> pump(inputOf(toA), outputOf(fromB), new ByteArrayOutputStream()),
              "relay-a-to-b");
      back.setDaemon(true);
      back.start();
      // Until B hangs up, which it does once A's answer has reached it.
      pump(fromB.getInputStream(), toA.output(), sentByB);
      try {
        back.join(BOUND.toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** Copies until the end of {@code in} or a failure. */
  private static void pump(InputStream in, OutputStream out, ByteArrayOutputStream record) {
    byte[] buffer = new byte[512];
    try {
      for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
        record.write(buffer, 0, n);
        out.write(buffer, 0, n);
        out.flush();
      }
    } catch (IOException e) {
      // a reset ends the relay as a close does
    }
  }

  private static InputStream inputOf(RawConnection connection) {
    try {
      return connection.input();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static OutputStream outputOf(SSLSocket socket) {
    try {
      return socket.getOutputStream();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Each device removes the other, so that the next test starts from empty lists. */
  private static void forget() throws Exception {
    for (LiveDaemon device : new LiveDaemon[] {a, b}) {
      for (String fingerprint : device.trusted()) {
        assertThat(device.ctl.run("remove", fingerprint).status()).isZero();
      }
    }
  }
}
