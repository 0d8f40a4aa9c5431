package dev.paird.hostile;

import static dev.paird.hostile.LiveDaemon.source;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.fasterxml.jackson.databind.JsonNode;
import dev.paird.hostile.RawConnection.Ending;
import dev.paird.hostile.RawConnection.Received;
import dev.paird.testing.OpenSslCli;
import dev.paird.testing.OpenSslCli.KeyType;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Connections held open by a hostile client, from one address or from several: one source cannot
 * take more than its share, and a full server makes room for newcomers by dropping the oldest
 * silent connection instead of refusing them. Each test has its own daemon, with the limits it
 * needs, and deadlines long enough that only the limits can end a connection.
 */
final class ConnectionLimitsIT {
  private static final Duration BOUND = Duration.ofSeconds(10);

  @TempDir static Path identities;
  private static SSLContext client;

  @TempDir Path dir;
  private LiveDaemon paird;
  private final List<RawConnection> held = new ArrayList<>();

  @BeforeAll
  static void identity() {
    client = JdkTls.context(OpenSslCli.newSelfSigned(identities, "mallory", KeyType.EC_P256));
  }

  @AfterEach
  void closeEverything() throws Exception {
    for (RawConnection connection : held) {
      connection.close();
    }
    LiveDaemon.closeAll(paird);
  }

  @Test
  void perSourceCap_oneConnectionTooMany_isClosedBeforeTls_andOtherSourcesAreServed()
      throws Exception {
    paird =
        LiveDaemon.start(
            dir,
            "server",
            "max_connections_per_source = 3",
            "max_connections = 16",
            "first_frame_timeout = 1m",
            "exchange_timeout = 1m",
            "rate_limit_per_minute = 6000");
    for (int i = 0; i < 3; i++) {
      held.add(RawConnection.open(client, source(1), paird.pairingPort, BOUND));
    }

    Throwable fourth =
        catchThrowable(
            () -> RawConnection.open(client, source(1), paird.pairingPort, BOUND).close());
    RawConnection elsewhere = RawConnection.open(client, source(2), paird.pairingPort, BOUND);
    held.add(elsewhere);

    // Closed by the server (EOF or reset during the handshake), not left hanging until the bound.
    assertThat(fourth)
        .as("the 4th handshake from 127.0.3.1")
        .isInstanceOf(IOException.class)
        .isNotInstanceOf(SocketTimeoutException.class);
    // The held connections are still served: one of them pings and is answered.
    held.get(0).send(Wire.frame(Wire.PING, new byte[0]));
    assertThat(held.get(0).readToEnd(BOUND).hex()).isEqualTo(Wire.hex(Wire.ERROR_NOT_TRUSTED));
  }

  /** PROTOCOL.md, "Limits": new connections a minute per source, checked before TLS. */
  @Test
  void rateLimit_theConnectionOverIt_isClosedBeforeTls_andOtherSourcesAreServed() throws Exception {
    // The per-source cap well above the rate, so that only the rate can refuse the sixth.
    paird =
        LiveDaemon.start(
            dir, "server", "rate_limit_per_minute = 5", "max_connections_per_source = 16");
    for (int i = 1; i <= 5; i++) {
      RawConnection.open(client, source(60), paird.pairingPort, BOUND).close();
    }

    Throwable sixth =
        catchThrowable(
            () -> RawConnection.open(client, source(60), paird.pairingPort, BOUND).close());
    RawConnection elsewhere = RawConnection.open(client, source(61), paird.pairingPort, BOUND);
    held.add(elsewhere);
    elsewhere.send(Wire.frame(Wire.PING, new byte[0]));

    assertThat(sixth)
        .as("the 6th connection in a minute from 127.0.3.60")
        .isInstanceOf(IOException.class)
        .isNotInstanceOf(SocketTimeoutException.class);
    assertThat(elsewhere.readToEnd(BOUND).hex()).isEqualTo(Wire.hex(Wire.ERROR_NOT_TRUSTED));
  }

  @Test
  void full_aNewConnectionEvictsTheOldestSilentOne_whichIsToldBusy() throws Exception {
    paird =
        LiveDaemon.start(
            dir,
            "server",
            "max_connections = 4",
            "max_connections_per_source = 1",
            "first_frame_timeout = 1m",
            "exchange_timeout = 1m",
            "rate_limit_per_minute = 6000");
    // Four silent connections from four addresses, oldest first; each is established on the
    // server (its handshake finished there too, which in TLS 1.3 comes after the client's) before
    // the next connection starts, so their order on the server is this one, and each can be told.
    for (int host = 3; host <= 6; host++) {
      held.add(RawConnection.open(client, source(host), paird.pairingPort, BOUND));
      paird.awaitEstablished(held.size());
    }

    RawConnection newcomer = RawConnection.open(client, source(7), paird.pairingPort, BOUND);
    held.add(newcomer);
    newcomer.send(Wire.frame(Wire.PING, new byte[0]));
    Received answer = newcomer.readToEnd(BOUND);
    Received oldest = held.get(0).readToEnd(BOUND);
    // The second oldest was not evicted: it is still served.
    held.get(1).send(Wire.frame(Wire.PING, new byte[0]));
    Received second = held.get(1).readToEnd(BOUND);

    assertThat(answer.hex())
        .as("the newcomer's ping is answered (the client is not trusted)")
        .isEqualTo(Wire.hex(Wire.ERROR_NOT_TRUSTED));
    assertThat(answer.ending()).isEqualTo(Ending.EOF);
    assertThat(oldest.hex())
        .as("the oldest silent connection")
        .isEqualTo(Wire.hex(Wire.ERROR_BUSY));
    assertThat(oldest.ending()).as("after %s", oldest).isEqualTo(Ending.EOF);
    assertThat(second.hex())
        .as("the second oldest, after the eviction")
        .isEqualTo(Wire.hex(Wire.ERROR_NOT_TRUSTED));
  }

  /**
   * SECURITY.md, section 7: holding slots open delays a device instead of locking it out. Two
   * hostile addresses fill the server with decoy exchanges (a spake2 share for a slot that holds no
   * key is answered as if it did, at no cost to them); a device connects alone from its address and
   * has not sent its request yet; one more hostile connection arrives. The room it needs is taken
   * from an address that holds two, not from the device, which is then served.
   */
  @Test
  void full_ofDecoyExchanges_aNewcomerEvictsFromACrowdedSource_notALoneDevice() throws Exception {
    paird =
        LiveDaemon.start(
            dir,
            "server",
            "max_connections = 4",
            "max_connections_per_source = 2",
            "first_frame_timeout = 1m",
            "exchange_timeout = 1m",
            "rate_limit_per_minute = 6000");
    for (int host : new int[] {31, 31, 32, 32}) {
      RawConnection hostile = RawConnection.open(client, source(host), paird.pairingPort, BOUND);
      held.add(hostile);
      hostile.send(Wire.clientShare(5, P256.randomPoint()));
      byte[] decoy = hostile.read(3 + 65, BOUND);
      assertThat(Wire.hex(Arrays.copyOf(decoy, 4)))
          .as("a decoy SPAKE2_SERVER_SHARE")
          .isEqualTo("12 00 41 04");
    }

    RawConnection device = RawConnection.open(client, source(39), paird.pairingPort, BOUND);
    held.add(device);
    paird.awaitEstablished(4); // the device's arrival evicted one hostile exchange
    held.add(RawConnection.open(client, source(33), paird.pairingPort, BOUND));
    paird.awaitEstablished(4); // the newcomer's arrival evicted another
    device.send(Wire.frame(Wire.PING, new byte[0]));
    Received answer = device.readToEnd(BOUND);

    assertThat(answer.hex())
        .as("the device's ping is answered (it is not trusted), not ERROR(BUSY)")
        .isEqualTo(Wire.hex(Wire.ERROR_NOT_TRUSTED));
    assertThat(answer.ending()).isEqualTo(Ending.EOF);
  }

  @Test
  void status_countsAConnectionThatNeverStartsTls_asInTheHandshake() throws Exception {
    paird =
        LiveDaemon.start(
            dir,
            "server",
            "handshake_timeout = 1m",
            "first_frame_timeout = 1m",
            "exchange_timeout = 1m",
            "rate_limit_per_minute = 6000");
    held.add(RawConnection.open(client, source(8), paird.pairingPort, BOUND));
    paird.awaitEstablished(1);

    // A plain TCP connection that never sends a ClientHello: admitted, counted, still in the
    // handshake as far as paird can tell.
    try (Socket silent = new Socket()) {
      silent.bind(new InetSocketAddress(source(9), 0));
      silent.connect(paird.pairingPort, (int) BOUND.toMillis());
      JsonNode status = paird.awaitStatus(s -> s.path("pairing_connections").intValue() == 2);

      assertThat(status.path("pairing_in_handshake").intValue())
          .as("status: %s", status)
          .isEqualTo(1);
    }
    JsonNode after = paird.awaitStatus(s -> s.path("pairing_connections").intValue() == 1);
    assertThat(after.path("pairing_in_handshake").intValue()).as("status: %s", after).isZero();
  }
}
