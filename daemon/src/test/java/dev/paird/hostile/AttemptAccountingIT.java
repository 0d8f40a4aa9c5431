package dev.paird.hostile;

import static dev.paird.hostile.LiveDaemon.source;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.paird.daemon.Pairctl.Result;
import dev.paird.hostile.RawConnection.Ending;
import dev.paird.hostile.RawConnection.Received;
import dev.paird.testing.OpenSslCli;
import dev.paird.testing.OpenSslCli.KeyType;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.locks.LockSupport;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * PROTOCOL.md, sections 3 and 4: what each guess costs, as a client of its own sees it against a
 * real paird. A wrong m1 charges every pending hmac key; an invalid share on a live slot is
 * MALFORMED and spends its attempt; a share for an empty slot, a slot number above 99 or an hmac
 * key's slot gets a decoy exchange that looks like a real one, ends REJECTED, and charges nothing.
 * Attempts are read back with {@code list-keys}.
 */
final class AttemptAccountingIT {
  private static final Duration BOUND = Duration.ofSeconds(10);

  @TempDir static Path dir;
  private static LiveDaemon server;
  private static LiveDaemon honest;
  private static SSLContext client;
  private static int host = 50;

  @BeforeAll
  static void start() throws Exception {
    server = LiveDaemon.start(dir, "server", "rate_limit_per_minute = 6000");
    honest = LiveDaemon.start(dir, "honest");
    client = JdkTls.context(OpenSslCli.newSelfSigned(dir, "mallory", KeyType.EC_P256));
  }

  @AfterAll
  static void stop() throws Exception {
    LiveDaemon.closeAll(server, honest);
  }

  /** Each test starts with no pending key. */
  @AfterEach
  void cancelKeys() throws Exception {
    for (JsonNode key : server.ctl.json("list-keys").path("keys")) {
      server.ctl.run("cancel-key", key.path("id").textValue());
    }
  }

  @Test
  void wrongM1_chargesEveryPendingHmacKey_andTheThirdBurnsThem() throws Exception {
    String first = server.newKey("--suite", "hmac").path("id").textValue();
    String second = server.newKey("--suite", "hmac").path("id").textValue();
    String spake2 = server.newKey("--suite", "spake2").path("id").textValue();

    for (int attempt = 1; attempt <= 2; attempt++) {
      assertThat(wrongM1()).as("attempt %d", attempt).isEqualTo(Wire.hex(Wire.ERROR_REJECTED));
      assertThat(server.attemptsLeft(first)).isEqualTo(3 - attempt);
      assertThat(server.attemptsLeft(second)).isEqualTo(3 - attempt);
    }
    assertThat(server.attemptsLeft(spake2)).as("a spake2 key is not charged").isEqualTo(3);
    assertThat(wrongM1()).isEqualTo(Wire.hex(Wire.ERROR_REJECTED));

    assertThat(server.ctl.json("list-keys").path("keys"))
        .as("both hmac keys burned, the spake2 key left")
        .singleElement()
        .satisfies(key -> assertThat(key.path("id").textValue()).isEqualTo(spake2));
  }

  @Test
  void shareThatIsNoPoint_onALiveSlot_isMalformed_andSpendsTheAttempt() throws Exception {
    String id = server.newKey("--suite", "spake2").path("id").textValue();
    byte[] notAPoint = new byte[65];
    notAPoint[0] = 0x04; // uncompressed, X = Y = 0: not on the curve

    try (RawConnection connection = open()) {
      connection.send(Wire.clientShare(Integer.parseInt(id), notAPoint));
      Received answer = connection.readToEnd(BOUND);

      assertThat(answer.hex()).isEqualTo(Wire.hex(Wire.ERROR_MALFORMED));
      assertThat(answer.ending()).isEqualTo(Ending.EOF);
    }
    assertThat(server.attemptsLeft(id)).isEqualTo(2);
  }

  /**
   * Decoys: an empty slot, slot 200 (no key can have it), and the slot of an hmac key, which a
   * spake2 exchange cannot test. Each gets a server share and then REJECTED, as a wrong code on a
   * live slot does; no key is charged.
   */
  @Test
  void shareForASlotWithoutASpake2Key_getsADecoyExchange_andChargesNothing() throws Exception {
    String hmac = server.newKey("--suite", "hmac").path("id").textValue();
    String spake2 = server.newKey("--suite", "spake2").path("id").textValue();
    int empty = (Integer.parseInt(spake2) + 50) % 100;
    if (empty == Integer.parseInt(hmac)) {
      empty = (empty + 1) % 100;
    }

    for (int slot : new int[] {empty, 200, Integer.parseInt(hmac), Integer.parseInt(spake2)}) {
      try (RawConnection connection = open()) {
        connection.send(Wire.clientShare(slot, P256.randomPoint()));
        byte[] share = connection.read(3 + 65, BOUND);
        connection.send(Wire.frame(Wire.SPAKE2_CLIENT_CONFIRM, random(32)));
        Received answer = connection.readToEnd(BOUND);

        assertThat(Wire.hex(Arrays.copyOf(share, 4))).as("slot %d", slot).isEqualTo("12 00 41 04");
        assertThat(answer.hex()).as("slot %d", slot).isEqualTo(Wire.hex(Wire.ERROR_REJECTED));
      }
    }
    assertThat(server.attemptsLeft(hmac)).as("the hmac key").isEqualTo(3);
    assertThat(server.attemptsLeft(spake2))
        .as("the spake2 key, charged only by the share for its own slot")
        .isEqualTo(2);
  }

  /**
   * An attempt is reserved when an exchange starts, so exchanges held open in parallel cannot make
   * more guesses than {@code max_attempts}: while three hold a key's three attempts, even the right
   * code, typed on an honest device, is refused; when they end, the key is burned.
   */
  @Test
  void threeExchangesHeldOpen_takeEveryAttempt_soEvenTheRightCodeIsRefused() throws Exception {
    JsonNode issued = server.newKey("--suite", "spake2");
    String id = issued.path("id").textValue();
    List<RawConnection> held = new ArrayList<>();
    try {
      for (int i = 0; i < 3; i++) {
        RawConnection connection = open();
        held.add(connection);
        assertThat(Wire.sendShare(connection, id, BOUND)).hasSize(3 + 65);
      }
      assertThat(server.attemptsLeft(id)).isZero();

      Result right = honest.pair(server.address, issued.path("key").textValue());

      assertThat(right.status()).as(right.err()).isEqualTo(5);
      assertThat(right.json().path("error").path("code").textValue()).isEqualTo("key_rejected");
    } finally {
      for (RawConnection connection : held) {
        connection.close();
      }
    }
    assertThat(server.trusted()).isEmpty();
    assertThat(honest.trusted()).isEmpty();
    // The three closes reach paird after close() returns: poll until the key is gone.
    long deadline = System.nanoTime() + BOUND.toNanos();
    while (!server.ctl.json("list-keys").path("keys").isEmpty() && System.nanoTime() < deadline) {
      LockSupport.parkNanos(Duration.ofMillis(20).toNanos());
    }
    assertThat(server.ctl.json("list-keys").path("keys"))
        .as("burned once the three ended")
        .isEmpty();
  }

  /** One connection sending HMAC_REQUEST with 32 random bytes; what the server answers. */
  private static String wrongM1() throws Exception {
    try (RawConnection connection = open()) {
      connection.send(Wire.frame(Wire.HMAC_REQUEST, random(32)));
      return connection.readToEnd(BOUND).hex();
    }
  }

  private static RawConnection open() throws Exception {
    return RawConnection.open(client, source(host++), server.pairingPort, BOUND);
  }

  private static byte[] random(int length) {
    byte[] bytes = new byte[length];
    new SecureRandom().nextBytes(bytes);
    return bytes;
  }
}
