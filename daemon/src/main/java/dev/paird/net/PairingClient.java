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
   *
   * <p>Cancelling the future abandons the attempt: its connection closes at once, and the peer is
   * not trusted unless saving its certificate had already begun (then the save completes,
   * unreported). A caller on an event loop of the client's group, as a control connection is, is
   * served on that loop, so the attempt has stopped using {@code code} when its cancel returns.
   */
  CompletableFuture<TrustedPeer> pair(String host, PairingCode code, Optional<String> label);

  /**
   * Connects to {@code host} with mutual TLS and succeeds only if each side trusts the other's
   * certificate; otherwise fails with {@code not_trusted} naming which side refused. Cancelling the
   * future abandons the attempt and closes its connection at once.
   */
  CompletableFuture<PingResult> ping(String host);

  /**
   * {@code derived}, made from {@code source} by {@code thenApply} or the like, such that
   * cancelling it cancels {@code source} too, which {@link CompletableFuture} does not do by
   * itself: cancelling the future of {@link #pair} or {@link #ping} abandons the attempt
   * (docs/CONTROL.md).
   */
  static <T> CompletableFuture<T> abandoning(
      CompletableFuture<T> derived, CompletableFuture<?> source) {
    derived.whenComplete(
        (value, failure) -> {
          if (derived.isCancelled()) {
            source.cancel(false);
          }
        });
    return derived;
  }

  /** A successful ping: who answered and how long the exchange took. */
  record PingResult(String fingerprint, String subject, Duration roundTrip) {}
}
