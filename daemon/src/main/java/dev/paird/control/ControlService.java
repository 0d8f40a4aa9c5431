package dev.paird.control;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.paird.api.ControlRequest;
import dev.paird.api.Echo;
import dev.paird.api.ErrorCode;
import dev.paird.api.PairdException;
import dev.paird.api.PairingCode;
import dev.paird.api.Suite;
import dev.paird.api.Version;
import dev.paird.config.ListenAddress;
import dev.paird.config.PairdConfig;
import dev.paird.identity.Certificates;
import dev.paird.identity.DeviceIdentity;
import dev.paird.io.JsonTrees;
import dev.paird.io.SecretText;
import dev.paird.keys.KeyInfo;
import dev.paird.keys.KeyOutcome;
import dev.paird.keys.PendingKeys;
import dev.paird.net.PairingClient;
import dev.paird.net.PairingLoad;
import dev.paird.trust.TrustStore;
import dev.paird.trust.TrustedPeer;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Supplier;

/**
 * What each control command does, independent of the socket: requests in, JSON results out. A
 * failure completes the future with a {@link PairdException} whose message is meant for the person
 * at pairctl.
 *
 * <p>Commands that touch the disk run on {@code blocking}, never on the caller's thread (a Netty
 * event loop); commands that wait (pair, ping, wait-key) are asynchronous throughout.
 */
public final class ControlService {
  private final DeviceIdentity identity;
  private final PendingKeys keys;
  private final TrustStore trust;
  private final PairdConfig config;
  private final PairingClient pairing;
  private final Supplier<PairingLoad> load;
  private final String hostName;
  private final ListenAddress listening;
  private final Executor blocking;
  private final Instant startedAt;

  /**
   * @param listening where the pairing listener is bound, with the actual port (the configuration
   *     may say 0)
   * @param load the pairing connections open at the moment it is called
   */
  public ControlService(
      DeviceIdentity identity,
      PendingKeys keys,
      TrustStore trust,
      PairdConfig config,
      PairingClient pairing,
      Supplier<PairingLoad> load,
      String hostName,
      ListenAddress listening,
      InstantSource clock,
      Executor blocking) {
    this.identity = identity;
    this.keys = keys;
    this.trust = trust;
    this.config = config;
    this.pairing = pairing;
    this.load = load;
    this.hostName = hostName;
    this.listening = listening;
    this.blocking = blocking;
    this.startedAt = clock.instant();
  }

  /**
   * Runs one request. Never throws: failures complete the future exceptionally. Cancelling the
   * future of a {@code pair} or {@code ping} abandons it (its requester has gone; {@link
   * PairingClient#pair}).
   *
   * @param key the {@code args.key} string the request line carried, if any: the secret of a {@code
   *     pair} request, and ignored by the other commands as it always was; wiped here
   */
  public CompletableFuture<ObjectNode> execute(ControlRequest request, char[] key) {
    if (!(request instanceof ControlRequest.Pair) && key != null) {
      Arrays.fill(key, '\0');
    }
    try {
      if (request instanceof ControlRequest.Status) {
        return CompletableFuture.completedFuture(status());
      } else if (request instanceof ControlRequest.NewKey newKey) {
        return CompletableFuture.completedFuture(newKey(newKey));
      } else if (request instanceof ControlRequest.WaitKey wait) {
        return waitKey(wait.id());
      } else if (request instanceof ControlRequest.ListKeys) {
        return CompletableFuture.completedFuture(listKeys());
      } else if (request instanceof ControlRequest.CancelKey cancel) {
        return CompletableFuture.completedFuture(cancelKey(cancel.id()));
      } else if (request instanceof ControlRequest.Pair pair) {
        return pair(pair, key);
      } else if (request instanceof ControlRequest.Ping ping) {
        CompletableFuture<PairingClient.PingResult> attempt = pairing.ping(ping.host());
        return PairingClient.abandoning(
            attempt.thenApply(
                result -> {
                  ObjectNode out = object();
                  out.put("host", ping.host());
                  out.set("peer", peerSummary(result.fingerprint(), result.subject()));
                  out.put("rtt_ms", result.roundTrip().toMillis());
                  return out;
                }),
            attempt);
      } else if (request instanceof ControlRequest.ListTrusted) {
        return CompletableFuture.completedFuture(listTrusted());
      } else if (request instanceof ControlRequest.Show show) {
        return CompletableFuture.completedFuture(show(show.fingerprint()));
      } else if (request instanceof ControlRequest.Remove remove) {
        return onBlocking(() -> remove(remove.fingerprint()));
      }
      throw new AssertionError(request);
    } catch (PairdException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  private ObjectNode status() {
    ObjectNode out = object();
    out.put("version", Version.current());
    out.put("fingerprint", identity.fingerprint());
    out.put("subject", identity.subject());
    out.put("key_type", identity.keyType());
    out.put("host", hostName);
    out.put("listen", listening.toString());
    out.put("pending_keys", keys.size());
    out.put("trusted_peers", trust.list().size());
    PairingLoad now = load.get();
    out.put("pairing_connections", now.open());
    out.put("pairing_in_handshake", now.inHandshake());
    out.put("default_suite", config.defaultSuite().wireName());
    out.put("state_dir", config.stateDir().toString());
    out.put("started_at", startedAt.toString());
    return out;
  }

  private ObjectNode newKey(ControlRequest.NewKey request) throws PairdException {
    // A key that no new device could pair with is not issued. A device already on the list can
    // still pair again, the other way round: re-pairing needs no room.
    try {
      trust.requireRoom();
    } catch (PairdException e) {
      throw new PairdException(
          e.code(),
          e.getMessage()
              + ". To pair again with a device already on the list, make the key on that device"
              + " and run pairctl pair on this one: that needs no room");
    }
    Suite suite = request.suite().orElse(config.defaultSuite());
    PendingKeys.IssuedKey issued =
        keys.issue(suite, request.lifetime().orElse(config.keyLifetime()));
    ObjectNode out = object();
    out.put("id", issued.id());
    // Written into the answer's line without a String or a JSON writer's buffer holding it.
    out.set("key", SecretText.takeAscii(issued.takeCode()).node());
    out.put("suite", suite.wireName());
    out.put("expires_at", issued.expiresAt().toString());
    out.put("host", hostName);
    out.put("port", listening.port());
    return out;
  }

  private CompletableFuture<ObjectNode> waitKey(String id) throws PairdException {
    CompletableFuture<KeyOutcome> outcome =
        keys.outcome(id)
            .orElseThrow(
                () ->
                    new PairdException(
                        ErrorCode.NOT_FOUND,
                        "no pending or recently finished key has id '"
                            + Echo.of(id)
                            + "'; 'pairctl list-keys' shows the pending ones"));
    return outcome.thenApply(
        result -> {
          ObjectNode out = object();
          out.put("id", id);
          out.put("outcome", result.status().wireName());
          result
              .peerFingerprint()
              .ifPresent(
                  fingerprint ->
                      out.set("peer", peerSummary(fingerprint, result.peerSubject().orElse(""))));
          return out;
        });
  }

  private ObjectNode listKeys() {
    ObjectNode out = object();
    ArrayNode list = out.putArray("keys");
    for (KeyInfo key : keys.list()) {
      ObjectNode item = list.addObject();
      item.put("id", key.id());
      item.put("suite", key.suite().wireName());
      item.put("created_at", key.createdAt().toString());
      item.put("expires_at", key.expiresAt().toString());
      item.put("attempts_left", key.attemptsLeft());
    }
    return out;
  }

  private ObjectNode cancelKey(String id) throws PairdException {
    if (!keys.cancel(id)) {
      throw new PairdException(
          ErrorCode.NOT_FOUND,
          "no pending key has id '"
              + Echo.of(id)
              + "'; 'pairctl list-keys' shows the pending ones");
    }
    ObjectNode out = object();
    out.put("id", id);
    out.put("cancelled", true);
    return out;
  }

  private CompletableFuture<ObjectNode> pair(ControlRequest.Pair request, char[] key)
      throws PairdException {
    // The arguments are checked here, on this device, before any network traffic: the label
    // first, then the key. A full list is not refused here: the other device may be listed
    // already, and re-pairing needs no room. The client checks once the handshake shows the
    // other's certificate, before its first frame (NettyPairingClient, TrustStore.reserveRoomFor).
    PairingCode code;
    try {
      if (request.label().isPresent()) {
        try {
          TrustedPeer.checkLabel(request.label().get());
        } catch (IllegalArgumentException e) {
          throw new PairdException(ErrorCode.INVALID_ARGUMENT, "pair: " + e.getMessage());
        }
      }
      code = PairingCode.parse(key);
    } finally {
      Arrays.fill(key, '\0');
    }
    CompletableFuture<TrustedPeer> attempt = pairing.pair(request.host(), code, request.label());
    attempt.whenComplete((peer, failure) -> code.destroy());
    return PairingClient.abandoning(
        attempt.thenApply(
            peer -> {
              ObjectNode out = object();
              out.set("peer", peerJson(peer));
              return out;
            }),
        attempt);
  }

  private ObjectNode listTrusted() {
    ObjectNode out = object();
    ArrayNode peers = out.putArray("peers");
    for (TrustedPeer peer : trust.list()) {
      peers.add(peerJson(peer));
    }
    return out;
  }

  private ObjectNode show(String fingerprintPrefix) throws PairdException {
    TrustedPeer peer = trust.findUnique(fingerprintPrefix);
    ObjectNode out = object();
    out.set("peer", peerJson(peer));
    out.put("certificate", Certificates.toPem(peer.encoded()));
    return out;
  }

  private ObjectNode remove(String fingerprintPrefix) throws PairdException {
    TrustedPeer peer = trust.findUnique(fingerprintPrefix);
    TrustedPeer removed =
        trust
            .remove(peer.fingerprint())
            .orElseThrow(
                () -> new PairdException(ErrorCode.NOT_FOUND, "the peer was removed meanwhile"));
    ObjectNode out = object();
    out.set("removed", peerJson(removed));
    return out;
  }

  /** The JSON form of a trusted peer, as list-trusted, pair and remove show it. */
  static ObjectNode peerJson(TrustedPeer peer) {
    ObjectNode item = object();
    item.put("fingerprint", peer.fingerprint());
    item.put("subject", peer.subject());
    item.put("added_at", peer.addedAt().toString());
    item.put("updated_at", peer.updatedAt().toString());
    item.put("host", peer.host());
    item.put("suite", peer.suite().wireName());
    if (peer.label().isPresent()) {
      item.put("label", peer.label().get());
    } else {
      item.putNull("label");
    }
    item.put("spki_pin", peer.spkiPin());
    item.put("may_sign", peer.maySign());
    return item;
  }

  private static ObjectNode peerSummary(String fingerprint, String subject) {
    ObjectNode peer = object();
    peer.put("fingerprint", fingerprint);
    peer.put("subject", subject);
    return peer;
  }

  private static ObjectNode object() {
    return JsonTrees.object();
  }

  private interface Blocking {
    ObjectNode run() throws PairdException;
  }

  private CompletableFuture<ObjectNode> onBlocking(Blocking work) {
    CompletableFuture<ObjectNode> result = new CompletableFuture<>();
    try {
      blocking.execute(
          () -> {
            try {
              result.complete(work.run());
            } catch (PairdException | RuntimeException e) {
              result.completeExceptionally(e);
            }
          });
    } catch (java.util.concurrent.RejectedExecutionException e) {
      result.completeExceptionally(
          new PairdException(ErrorCode.BUSY, "the daemon is busy with other commands; try again"));
    }
    return result;
  }
}
