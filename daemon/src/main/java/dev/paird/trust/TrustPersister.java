package dev.paird.trust;

import dev.paird.api.ErrorCode;
import dev.paird.api.PairdException;
import dev.paird.api.Suite;
import dev.paird.identity.Certificates;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.InstantSource;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;

/** Saves a newly paired peer in the trust store, off the event loop. */
public final class TrustPersister {
  private final TrustStore store;
  private final Executor blocking;
  private final InstantSource clock;

  public TrustPersister(TrustStore store, Executor blocking, InstantSource clock) {
    this.store = store;
    this.blocking = blocking;
    this.clock = clock;
  }

  /** Whether a certificate (DER) is in the trusted list; a cheap in-memory lookup. */
  public boolean isTrusted(byte[] der) {
    return store.get(Certificates.fingerprint(der)).isPresent();
  }

  /**
   * Checks that {@link #persist} of {@code der} would not be refused for room or size, and holds
   * its room in the list until it is persisted or the reservation is released ({@link
   * TrustStore#reserveRoomFor}); cheap unless the list is near its file bound.
   *
   * @throws PairdException {@link ErrorCode#LIMIT_REACHED} if it would be, {@link
   *     ErrorCode#PROTOCOL_ERROR} if the certificate cannot be parsed
   */
  public TrustStore.Reservation reserveRoomFor(
      byte[] der, String host, Suite suite, Optional<String> label) throws PairdException {
    return store.reserveRoomFor(parse(der), host, suite, label, clock.instant());
  }

  /** Trusts {@code der}; completes once the trusted list is durably on disk. */
  public CompletableFuture<TrustedPeer> persist(
      byte[] der, String host, Suite suite, Optional<String> label) {
    CompletableFuture<TrustedPeer> result = new CompletableFuture<>();
    try {
      blocking.execute(
          () -> {
            try {
              result.complete(store.put(parse(der), host, suite, label, clock.instant()));
            } catch (PairdException | RuntimeException e) {
              result.completeExceptionally(e);
            }
          });
    } catch (RejectedExecutionException e) {
      result.completeExceptionally(
          new PairdException(
              ErrorCode.BUSY, "the daemon is too busy to save the trusted list; try again"));
    }
    return result;
  }

  private static X509Certificate parse(byte[] der) throws PairdException {
    try {
      return Certificates.fromDer(der);
    } catch (CertificateException e) {
      throw new PairdException(
          ErrorCode.PROTOCOL_ERROR,
          "the peer's certificate cannot be parsed: " + e.getMessage(),
          e);
    }
  }
}
