package dev.paird.net;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.Channel;
import io.netty.channel.embedded.EmbeddedChannel;
import java.net.InetAddress;
import java.util.Optional;
import org.junit.jupiter.api.Test;

final class ConnectionsTest {
  private final Connections connections = new Connections(3, 2);

  @Test
  void admit_full_evictsTheOldest_whateverHowFarEachHasGot() throws Exception {
    Channel exchanging = admitted("192.0.2.1");
    Channel idleOld = admitted("192.0.2.2");
    Channel idleYoung = admitted("192.0.2.3");
    connections.advance(exchanging, Connections.Stage.EXCHANGE);
    connections.advance(idleOld, Connections.Stage.AWAIT_FIRST_FRAME);

    assertThat(connections.admit(new EmbeddedChannel(), source("192.0.2.4")))
        .isEqualTo(new Connections.Admission.Admitted(Optional.of(exchanging)));
    assertThat(connections.admit(new EmbeddedChannel(), source("192.0.2.5")))
        .isEqualTo(new Connections.Admission.Admitted(Optional.of(idleOld)));
    assertThat(connections.admit(new EmbeddedChannel(), source("192.0.2.6")))
        .isEqualTo(new Connections.Admission.Admitted(Optional.of(idleYoung)));
  }

  /**
   * Hostile sources that take their connections into exchanges (a decoy exchange costs them
   * nothing) do not thereby shelter them: a device alone on its address, still in its handshake, is
   * not evicted while a source holds more than it does.
   */
  @Test
  void admit_full_keepsALoneDeviceInItsHandshake_whileCrowdedSourcesHoldExchanges()
      throws Exception {
    Connections four = new Connections(4, 2);
    Channel[] hostile = {
      admitted(four, "192.0.2.1"), admitted(four, "192.0.2.1"), admitted(four, "192.0.2.2")
    };
    for (Channel c : hostile) {
      four.advance(c, Connections.Stage.EXCHANGE);
    }
    admitted(four, "192.0.2.9"); // the device

    Connections.Admission third = four.admit(new EmbeddedChannel(), source("192.0.2.2"));
    Connections.Admission fourth = four.admit(new EmbeddedChannel(), source("192.0.2.3"));

    assertThat(third).isEqualTo(new Connections.Admission.Admitted(Optional.of(hostile[0])));
    assertThat(fourth)
        .as("192.0.2.2 now holds two, the device's address one")
        .isEqualTo(new Connections.Admission.Admitted(Optional.of(hostile[2])));
    assertThat(four.load())
        .as("left: one hostile exchange, the device and the two newcomers, in their handshakes")
        .isEqualTo(new PairingLoad(4, 3));
  }

  @Test
  void load_countsTheOpenConnections_andThoseStillInTheHandshake() throws Exception {
    Channel handshaking = admitted("192.0.2.1");
    Channel silent = admitted("192.0.2.2");
    Channel gone = admitted("192.0.2.3");
    connections.advance(silent, Connections.Stage.AWAIT_FIRST_FRAME);
    connections.remove(gone);

    assertThat(connections.load()).isEqualTo(new PairingLoad(2, 1));
    connections.advance(handshaking, Connections.Stage.EXCHANGE);
    assertThat(connections.load()).isEqualTo(new PairingLoad(2, 0));
  }

  @Test
  void admit_full_evictsFromTheSourceHoldingTheMost_beforeAnOlderLoneConnection() throws Exception {
    Channel lone = admitted("192.0.2.1");
    Channel greedyOld = admitted("192.0.2.2");
    Channel greedyYoung = admitted("192.0.2.2");

    assertThat(connections.admit(new EmbeddedChannel(), source("192.0.2.4")))
        .isEqualTo(new Connections.Admission.Admitted(Optional.of(greedyOld)));
    assertThat(connections.admit(new EmbeddedChannel(), source("192.0.2.5")))
        .isEqualTo(new Connections.Admission.Admitted(Optional.of(lone)));
    assertThat(greedyYoung.isOpen()).isTrue();
  }

  @Test
  void admit_fullOfExchanges_evictsTheOldestExchange() throws Exception {
    Channel first = admitted("192.0.2.1");
    Channel second = admitted("192.0.2.2");
    Channel third = admitted("192.0.2.3");
    for (Channel c : new Channel[] {first, second, third}) {
      connections.advance(c, Connections.Stage.EXCHANGE);
    }

    assertThat(connections.admit(new EmbeddedChannel(), source("192.0.2.4")))
        .isEqualTo(new Connections.Admission.Admitted(Optional.of(first)));
  }

  @Test
  void admit_fullAndEverySlotSavingTrust_refusesAndEvictsNothing() throws Exception {
    for (String address : new String[] {"192.0.2.1", "192.0.2.2", "192.0.2.3"}) {
      connections.advance(admitted(address), Connections.Stage.SAVING);
    }

    assertThat(connections.admit(new EmbeddedChannel(), source("192.0.2.4")))
        .isInstanceOf(Connections.Admission.Refused.class);
    assertThat(connections.open()).isEqualTo(3);
  }

  @Test
  void advance_neverMovesAConnectionBack() throws Exception {
    Channel saving = admitted("192.0.2.1");
    Channel idle = admitted("192.0.2.2");
    admitted("192.0.2.3");
    connections.advance(saving, Connections.Stage.SAVING);
    connections.advance(saving, Connections.Stage.EXCHANGE);

    assertThat(connections.admit(new EmbeddedChannel(), source("192.0.2.4")))
        .isEqualTo(new Connections.Admission.Admitted(Optional.of(idle)));
  }

  @Test
  void admit_perSourceCap_countsAnIpv4AddressAndItsMappedForm() throws Exception {
    admitted("192.0.2.1");
    admitted("::ffff:192.0.2.1");

    assertThat(connections.admit(new EmbeddedChannel(), source("192.0.2.1")))
        .isInstanceOf(Connections.Admission.Refused.class);
  }

  @Test
  void evicted_isNoLongerCounted_forItsSourceEither() throws Exception {
    Channel first = admitted("192.0.2.1");
    admitted("192.0.2.1");
    admitted("192.0.2.2");
    admitted("192.0.2.3"); // evicts first

    connections.remove(first); // its close arrives later: nothing more to release

    assertThat(connections.open()).isEqualTo(3);
    assertThat(connections.admit(new EmbeddedChannel(), source("192.0.2.1")))
        .isInstanceOf(Connections.Admission.Admitted.class);
  }

  private Channel admitted(String address) throws Exception {
    return admitted(connections, address);
  }

  private static Channel admitted(Connections into, String address) throws Exception {
    Channel channel = new EmbeddedChannel();
    assertThat(into.admit(channel, source(address)))
        .isInstanceOf(Connections.Admission.Admitted.class);
    return channel;
  }

  private static SourceAddress source(String address) throws Exception {
    return SourceAddress.of(InetAddress.getByName(address));
  }
}
