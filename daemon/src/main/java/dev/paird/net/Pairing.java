package dev.paird.net;

import dev.paird.api.PairdException;
import dev.paird.config.ListenAddress;
import dev.paird.config.PairdConfig;
import dev.paird.identity.DeviceIdentity;
import dev.paird.protocol.KeyLedger;
import dev.paird.trust.TrustPersister;
import dev.paird.trust.TrustStore;
import io.netty.channel.EventLoopGroup;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.InstantSource;
import java.util.Objects;
import java.util.concurrent.Executor;

/**
 * The pairing side of one device, assembled in one place: the listener, which redeems the device's
 * pending keys, and the client, sharing the TLS contexts built from the device's identity and the
 * trusted list they both write to. The daemon and the tests that run whole devices build it here,
 * so that what the tests prove is what the daemon runs.
 */
public final class Pairing implements AutoCloseable {
  private final PairingServer server;
  private final NettyPairingClient client;

  private Pairing(PairingServer server, NettyPairingClient client) {
    this.server = server;
    this.client = client;
  }

  /**
   * Starts assembling the pairing side of the device with {@code identity}. Its TLS contexts are
   * built now, so that a failure of BoringSSL or of the identity is told apart from a failure to
   * bind the listener.
   *
   * @throws PairdException if BoringSSL cannot be loaded or the identity is not usable for TLS
   */
  public static Builder builder(DeviceIdentity identity, TrustStore trust, KeyLedger keys)
      throws PairdException {
    return new Builder(TlsContexts.create(identity), trust, keys);
  }

  /** The client, for {@code pair} and {@code ping}. */
  public PairingClient client() {
    return client;
  }

  /** The listener's bound address (with the actual port). */
  public InetSocketAddress localAddress() {
    return server.localAddress();
  }

  /** The pairing connections open now. */
  public PairingLoad load() {
    return server.load();
  }

  /** Stops accepting; connections in progress end with the event loops. */
  @Override
  public void close() {
    server.close();
  }

  /** What a pairing side is made of; every part without a default must be given. */
  public static final class Builder {
    private final TlsContexts tls;
    private final TrustStore trust;
    private final KeyLedger keys;
    private EventLoopGroup boss;
    private EventLoopGroup workers;
    private PairingServer.Settings settings;
    private Duration connectTimeout;
    private Executor disk;
    private Executor resolver;
    private InstantSource clock = Clock.systemUTC();
    private SecureRandom random;

    private Builder(TlsContexts tls, TrustStore trust, KeyLedger keys) {
      this.tls = tls;
      this.trust = Objects.requireNonNull(trust, "trust");
      this.keys = Objects.requireNonNull(keys, "keys");
    }

    /** The listener accepts on {@code boss}; connections, in and out, run on {@code workers}. */
    public Builder eventLoops(EventLoopGroup boss, EventLoopGroup workers) {
      this.boss = boss;
      this.workers = workers;
      return this;
    }

    /** The configured limits and timeouts, listening on {@code listen}. */
    public Builder configured(PairdConfig config, ListenAddress listen) {
      return settings(PairingServer.Settings.of(config, listen), config.connectTimeout());
    }

    /**
     * The listener's settings; the client uses their handshake and exchange timeouts too, and gives
     * up connecting after {@code connectTimeout}.
     */
    public Builder settings(PairingServer.Settings settings, Duration connectTimeout) {
      this.settings = settings;
      this.connectTimeout = connectTimeout;
      return this;
    }

    /**
     * Where blocking work runs, off the event loops: writes of the trusted list on {@code disk},
     * name lookups on {@code resolver}. Both may refuse work when full.
     */
    public Builder executors(Executor disk, Executor resolver) {
      this.disk = disk;
      this.resolver = resolver;
      return this;
    }

    /** Dates trusted-list entries; the system clock unless given. */
    public Builder clock(InstantSource clock) {
      this.clock = clock;
      return this;
    }

    /** The randomness of SPAKE2 shares and decoy passwords. */
    public Builder random(SecureRandom random) {
      this.random = random;
      return this;
    }

    /**
     * Binds the listener and makes the client.
     *
     * @throws PairdException if the address cannot be bound
     */
    public Pairing start() throws PairdException {
      Objects.requireNonNull(boss, "eventLoops");
      Objects.requireNonNull(settings, "settings");
      Objects.requireNonNull(disk, "executors");
      Objects.requireNonNull(resolver, "executors");
      Objects.requireNonNull(random, "random");
      TrustPersister persister = new TrustPersister(trust, disk, clock);
      PairingServer server =
          PairingServer.start(boss, workers, settings, tls, keys, persister, random);
      NettyPairingClient client =
          new NettyPairingClient(
              workers,
              tls,
              persister,
              resolver,
              connectTimeout,
              settings.handshakeTimeout(),
              settings.exchangeTimeout(),
              random);
      return new Pairing(server, client);
    }
  }
}
