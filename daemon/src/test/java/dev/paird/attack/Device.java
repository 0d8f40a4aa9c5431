package dev.paird.attack;

import dev.paird.api.PairingCode;
import dev.paird.config.ListenAddress;
import dev.paird.config.PairdConfig;
import dev.paird.identity.DeviceIdentity;
import dev.paird.keys.PendingKeys;
import dev.paird.net.Pairing;
import dev.paird.testing.OpenSslCli;
import dev.paird.trust.TrustStore;
import dev.paird.trust.TrustedPeer;
import io.netty.channel.EventLoopGroup;
import java.net.InetSocketAddress;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * An honest paird device on loopback, assembled by {@link Pairing} as the daemon assembles it and
 * with the defaults of paird.conf: its identity, a trusted list in a directory of its own, its
 * pending keys, the pairing listener and the pairing client. No control socket: the test plays the
 * user.
 */
final class Device implements AutoCloseable {
  static final PairdConfig DEFAULTS = PairdConfig.defaultConfig();

  private final DeviceIdentity identity;
  private final TrustStore trust;
  private final PendingKeys keys;
  private final ExecutorService blocking;
  private final Pairing pairing;

  private Device(
      DeviceIdentity identity,
      TrustStore trust,
      PendingKeys keys,
      ExecutorService blocking,
      Pairing pairing) {
    this.identity = identity;
    this.trust = trust;
    this.keys = keys;
    this.blocking = blocking;
    this.pairing = pairing;
  }

  /** Starts a device with {@code identity}, its trusted list in {@code stateDir}. */
  static Device start(
      DeviceIdentity identity,
      Path stateDir,
      PendingKeys keys,
      EventLoopGroup boss,
      EventLoopGroup workers)
      throws Exception {
    TrustStore trust = TrustStore.open(stateDir);
    ExecutorService blocking = Executors.newSingleThreadExecutor();
    Pairing pairing =
        Pairing.builder(identity, trust, keys)
            .eventLoops(boss, workers)
            .configured(DEFAULTS, new ListenAddress(Optional.of("127.0.0.1"), 0))
            .executors(blocking, blocking)
            .random(new SecureRandom())
            .start();
    return new Device(identity, trust, keys, blocking, pairing);
  }

  /** Pending keys as the daemon makes them from the default settings. */
  static PendingKeys defaultKeys() {
    return new PendingKeys(
        DEFAULTS.maxPendingKeys(),
        DEFAULTS.maxAttempts(),
        DEFAULTS.codeDigits(),
        Clock.systemUTC(),
        System::nanoTime,
        new SecureRandom());
  }

  /** One of the fixed identities in the test resources: "client" or "server". */
  static DeviceIdentity fixtureIdentity(String name) throws Exception {
    return DeviceIdentity.load(
        resource("/protocol/" + name + ".pem"),
        OpenSslCli.privateFile(resource("/protocol/" + name + ".key")));
  }

  private static Path resource(String name) throws URISyntaxException {
    return Path.of(Device.class.getResource(name).toURI());
  }

  String fingerprint() {
    return identity.fingerprint();
  }

  PendingKeys keys() {
    return keys;
  }

  InetSocketAddress address() {
    return pairing.localAddress();
  }

  /** What {@code pairctl pair HOST:PORT CODE} does: pairs with whoever answers there. */
  CompletableFuture<TrustedPeer> pair(InetSocketAddress target, PairingCode code) {
    return pairing.client().pair("127.0.0.1:" + target.getPort(), code, Optional.empty());
  }

  /** The fingerprints in this device's trusted list. */
  List<String> trusted() {
    return trust.list().stream().map(TrustedPeer::fingerprint).toList();
  }

  @Override
  public void close() {
    pairing.close();
    blocking.shutdownNow();
  }
}
