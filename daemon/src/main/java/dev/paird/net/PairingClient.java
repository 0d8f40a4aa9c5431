package dev.paird.net;

import dev.paird.api.PairingCode;
import dev.paird.trust.TrustedPeer;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * The client side of the pairing port, run by the daemon on behalf of pairctl so that the device's
 * private key never leaves it.
 */
public interface PairingClient {

  /**
   * Pairs with the device at {@code host} ({@code HOST[:PORT]}) using {@code code}. Completes with
   * the peer as now trusted, or with a {@code PairdException} saying what failed; on any failure
   * nothing was trusted on this side. The caller keeps ownership of {@code code}.
   */
  CompletableFuture<TrustedPeer> pair(String host, PairingCode code, Optional<String> label);

  /**
   * Connects to {@code host} with mutual TLS and succeeds only if each side trusts the other's
   * certificate; otherwise fails with {@code not_trusted} naming which side refused.
   */
  CompletableFuture<PingResult> ping(String host);

  /** A successful ping: who answered and how long the exchange took. */
  record PingResult(String fingerprint, String subject, Duration roundTrip) {}
}
