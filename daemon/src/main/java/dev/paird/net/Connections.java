package dev.paird.net;

import io.netty.channel.Channel;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The open pairing connections and how far each has got. It admits a new connection within {@code
 * max_connections_per_source} and, when {@code max_connections} are open, makes room by evicting a
 * connection from the source that holds the most connections, the oldest of them; a connection
 * saving trust is never evicted.
 *
 * <p>Guarantees: at most {@code maxPerSource} connections of one {@link SourceAddress} are admitted
 * at once; at most {@code max} are counted at once; a connection is counted from {@link #admit}
 * until {@link #remove} or until it is chosen for eviction. Hosts holding connections open
 * therefore cannot lock a legitimate device out: while they come from fewer sources than there are
 * other slots, one of them holds more than the device's source and loses one first, whatever stage
 * each connection has reached; with at least as many sources, a device is delayed by at most the
 * age of their youngest held connection.
 *
 * <p>How far a connection has got does not choose among them: a hostile client can take its
 * connections as far as an exchange at no cost (a spake2 share for a slot holding no key is
 * answered with a decoy exchange until its deadline), so preferring to evict connections that are
 * earlier would single out a device still in its handshake.
 *
 * <p>It does not close anything: the caller tells the evicted connection. Thread-safe.
 */
final class Connections {

  /** How far a connection has got, in order: a later stage is never downgraded. */
  enum Stage {
    HANDSHAKE,
    AWAIT_FIRST_FRAME,
    EXCHANGE,
    SAVING
  }

  /** The answer to {@link #admit}. */
  sealed interface Admission {
    /** Admitted; {@code evicted}, if present, was dropped from the count to make room. */
    record Admitted(Optional<Channel> evicted) implements Admission {}

    /** Refused, with the reason for the log. */
    record Refused(String why) implements Admission {}
  }

  private static final class Entry {
    final SourceAddress source;
    Stage stage = Stage.HANDSHAKE;

    Entry(SourceAddress source) {
      this.source = source;
    }
  }

  private final int max;
  private final int maxPerSource;
  private final Map<Channel, Entry> open = new LinkedHashMap<>(); // oldest first; guarded by this
  private final Map<SourceAddress, Integer> perSource = new HashMap<>(); // guarded by this

  Connections(int max, int maxPerSource) {
    if (max < 1 || maxPerSource < 1) {
      throw new IllegalArgumentException("max and maxPerSource must be positive");
    }
    this.max = max;
    this.maxPerSource = maxPerSource;
  }

  synchronized Admission admit(Channel channel, SourceAddress source) {
    if (perSource.getOrDefault(source, 0) >= maxPerSource) {
      return new Admission.Refused(
          maxPerSource + " connections from that address are open (max_connections_per_source)");
    }
    Channel evicted = null;
    if (open.size() >= max) {
      evicted = victim();
      if (evicted == null) {
        return new Admission.Refused(
            max + " connections are open (max_connections), every one" + " of them saving trust");
      }
      removeLocked(evicted);
    }
    open.put(channel, new Entry(source));
    perSource.merge(source, 1, Integer::sum);
    return new Admission.Admitted(Optional.ofNullable(evicted));
  }

  /** Records that {@code channel} reached {@code stage}; ignored for one no longer counted. */
  synchronized void advance(Channel channel, Stage stage) {
    Entry entry = open.get(channel);
    if (entry != null && stage.compareTo(entry.stage) > 0) {
      entry.stage = stage;
    }
  }

  synchronized void remove(Channel channel) {
    removeLocked(channel);
  }

  synchronized int open() {
    return open.size();
  }

  /** How many connections are counted now, and how many of them are still in the TLS handshake. */
  synchronized PairingLoad load() {
    int handshaking = 0;
    for (Entry entry : open.values()) {
      if (entry.stage == Stage.HANDSHAKE) {
        handshaking++;
      }
    }
    return new PairingLoad(open.size(), handshaking);
  }

  /**
   * Of the connections not saving trust, the oldest from the source that holds the most
   * connections; null if there is none.
   */
  private Channel victim() {
    Channel victim = null;
    int victimSourceCount = 0;
    for (Map.Entry<Channel, Entry> e : open.entrySet()) { // oldest first
      Entry entry = e.getValue();
      if (entry.stage != Stage.SAVING) {
        int count = perSource.get(entry.source);
        if (count > victimSourceCount) {
          victim = e.getKey();
          victimSourceCount = count;
        }
      }
    }
    return victim;
  }

  private void removeLocked(Channel channel) {
    Entry entry = open.remove(channel);
    if (entry != null) {
      perSource.computeIfPresent(entry.source, (s, n) -> n == 1 ? null : n - 1);
    }
  }
}
