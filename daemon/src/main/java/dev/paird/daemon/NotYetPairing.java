package dev.paird.daemon;

import dev.paird.api.ErrorCode;
import dev.paird.api.PairdException;
import dev.paird.api.PairingCode;
import dev.paird.net.PairingClient;
import dev.paird.trust.TrustedPeer;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/** Answers pair and ping until the pairing protocol is wired in. */
final class NotYetPairing implements PairingClient {
  @Override
  public CompletableFuture<TrustedPeer> pair(String host, PairingCode code, Optional<String> label) {
    return CompletableFuture.failedFuture(new PairdException(ErrorCode.NOT_IMPLEMENTED,
        "pairing over the network is not implemented yet in this build"));
  }

  @Override
  public CompletableFuture<PingResult> ping(String host) {
    return CompletableFuture.failedFuture(new PairdException(ErrorCode.NOT_IMPLEMENTED,
        "ping is not implemented yet in this build"));
  }
}
