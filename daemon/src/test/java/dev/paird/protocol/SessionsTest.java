package dev.paird.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.paird.api.ErrorCode;
import dev.paird.api.PairingCode;
import dev.paird.api.Spake2Code;
import dev.paird.api.Suite;
import dev.paird.identity.Certificates;
import dev.paird.keys.KeyOutcome;
import dev.paird.keys.PendingKeys;
import dev.paird.protocol.spake2.Spake2Shares;
import dev.paird.testing.FakeClock;
import dev.paird.testing.TestKeys;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

/** The client and server sessions against each other, for both suites and ping. */
final class SessionsTest {
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final Duration LIFETIME = Duration.ofMinutes(5);

  private final FakeClock clock = new FakeClock();
  private final PendingKeys keys = new PendingKeys(8, 3, 8, clock, clock::nanoTime, RANDOM);

  private ServerSession server(SessionCertificates seen) {
    return server(seen, der -> false);
  }

  private ServerSession server(SessionCertificates seen, Predicate<byte[]> isTrusted) {
    // The listener names the client from its certificate; the subject is not the core's concern.
    KeyLedger.Peer client = new KeyLedger.Peer(Certificates.fingerprint(seen.client()), "");
    return new ServerSession(seen, client, keys, isTrusted, RANDOM);
  }

  private ClientSession client(String typedKey, SessionCertificates seen) throws Exception {
    PairingCode code = PairingCode.parse(typedKey);
    return code instanceof Spake2Code spake2
        ? ClientSession.spake2(spake2, seen, RANDOM)
        : ClientSession.hmac((dev.paird.api.HmacCode) code, seen);
  }

  @Test
  void hmac_rightKey_bothSidesTrustEachOther() throws Exception {
    PendingKeys.IssuedKey issued = keys.issue(Suite.HMAC, LIFETIME);
    CompletableFuture<KeyOutcome> outcome = keys.outcome(issued.id()).orElseThrow();

    Exchange exchange =
        new Exchange().run(client(issued.code(), Fixtures.HONEST), server(Fixtures.HONEST));

    assertThat(exchange.serverResult.next()).isInstanceOf(Step.Succeeded.class);
    assertThat(exchange.clientResult.next()).isInstanceOf(Step.Succeeded.class);
    assertThat(exchange.serverTrusted).isEqualTo(Fixtures.CLIENT_DER);
    assertThat(exchange.clientTrusted).isEqualTo(Fixtures.SERVER_DER);
    assertThat(exchange.clientFrames)
        .extracting(Frame::type)
        .containsExactly(FrameType.HMAC_REQUEST);
    assertThat(exchange.serverFrames)
        .extracting(Frame::type)
        .containsExactly(FrameType.HMAC_RESPONSE);
    assertThat(outcome.getNow(null).status()).isEqualTo(KeyOutcome.Status.PAIRED);
    assertThat(outcome.getNow(null).peerFingerprint())
        .contains(Certificates.fingerprint(Fixtures.CLIENT_DER));
    assertThat(keys.size()).isZero();
  }

  @Test
  void spake2_rightCode_bothSidesTrustEachOther() throws Exception {
    PendingKeys.IssuedKey issued = keys.issue(Suite.SPAKE2, LIFETIME);

    Exchange exchange =
        new Exchange().run(client(issued.code(), Fixtures.HONEST), server(Fixtures.HONEST));

    assertThat(exchange.serverResult.next()).isInstanceOf(Step.Succeeded.class);
    assertThat(exchange.clientResult.next()).isInstanceOf(Step.Succeeded.class);
    assertThat(exchange.serverTrusted).isEqualTo(Fixtures.CLIENT_DER);
    assertThat(exchange.clientTrusted).isEqualTo(Fixtures.SERVER_DER);
    assertThat(exchange.clientFrames)
        .extracting(Frame::type)
        .containsExactly(FrameType.SPAKE2_CLIENT_SHARE, FrameType.SPAKE2_CLIENT_CONFIRM);
    assertThat(exchange.serverFrames)
        .extracting(Frame::type)
        .containsExactly(FrameType.SPAKE2_SERVER_SHARE, FrameType.SPAKE2_SERVER_CONFIRM);
  }

  @Test
  void spake2_sidesNeverToldToWorkWhileWaiting_stillPair() throws Exception {
    PendingKeys.IssuedKey issued = keys.issue(Suite.SPAKE2, LIFETIME);
    Exchange exchange = new Exchange();
    exchange.whileWaiting = false;

    exchange.run(client(issued.code(), Fixtures.HONEST), server(Fixtures.HONEST));

    assertThat(exchange.serverTrusted).isEqualTo(Fixtures.CLIENT_DER);
    assertThat(exchange.clientTrusted).isEqualTo(Fixtures.SERVER_DER);
  }

  @Test
  void spake2_clientSidePreparedBeforeTheCertificatesAreKnown_pairs() throws Exception {
    PendingKeys.IssuedKey issued = keys.issue(Suite.SPAKE2, LIFETIME);
    Spake2Code code = (Spake2Code) PairingCode.parse(issued.code());
    ClientSession.PreparedSpake2 prepared = ClientSession.prepareSpake2(code, RANDOM);

    Exchange exchange =
        new Exchange()
            .run(ClientSession.spake2(code, prepared, Fixtures.HONEST), server(Fixtures.HONEST));

    assertThat(exchange.serverTrusted).isEqualTo(Fixtures.CLIENT_DER);
    assertThat(exchange.clientTrusted).isEqualTo(Fixtures.SERVER_DER);
  }

  @Test
  void spake2_preparedClientSide_servesOneSessionOnly() throws Exception {
    Spake2Code code = (Spake2Code) PairingCode.parse(keys.issue(Suite.SPAKE2, LIFETIME).code());
    ClientSession.PreparedSpake2 used = ClientSession.prepareSpake2(code, RANDOM);
    ClientSession.PreparedSpake2 destroyed = ClientSession.prepareSpake2(code, RANDOM);
    ClientSession.spake2(code, used, Fixtures.HONEST);
    destroyed.destroy();

    for (ClientSession.PreparedSpake2 spent : List.of(used, destroyed)) {
      assertThatThrownBy(() -> ClientSession.spake2(code, spent, Fixtures.HONEST))
          .isInstanceOf(IllegalStateException.class);
    }
    assertThat(used.toString()).doesNotContain(code.format());
  }

  /**
   * A client that knows the code can send pA = w·M, which makes K the identity. The server answers
   * with its share before it computes K, so it finds out then, and the client's confirmation is
   * answered MALFORMED; the attempt is spent.
   */
  @Test
  void spake2_shareMakingKTheIdentity_isAnsweredMalformedAtTheConfirmation() throws Exception {
    PendingKeys.IssuedKey issued = keys.issue(Suite.SPAKE2, LIFETIME);
    Spake2Code code = (Spake2Code) PairingCode.parse(issued.code());
    byte[] body = new byte[66];
    body[0] = (byte) code.slot();
    System.arraycopy(Spake2Shares.blindOfM(code.secretDigits()), 0, body, 1, 65);
    ServerSession server = server(Fixtures.HONEST);

    Step share = server.onFrame(Frame.of(FrameType.SPAKE2_CLIENT_SHARE, body));
    server.whileWaiting();
    Step confirm = server.onFrame(Frame.of(FrameType.SPAKE2_CLIENT_CONFIRM, new byte[32]));

    assertThat(share.send()).extracting(Frame::type).containsExactly(FrameType.SPAKE2_SERVER_SHARE);
    assertThat(confirm.send()).containsExactly(Frame.error(ErrorReason.MALFORMED));
    assertThat(confirm.next()).isInstanceOf(Step.Failed.class);
    assertThat(keys.list()).extracting(k -> k.attemptsLeft()).containsExactly(2);
  }

  @Test
  void wrongKey_serverRejects_nobodyTrustsAnybody() throws Exception {
    for (Suite suite : Suite.values()) {
      PendingKeys.IssuedKey issued = keys.issue(suite, LIFETIME);
      PairingCode wrong = TestKeys.wrongKeyLike(issued.code(), RANDOM);

      Exchange exchange =
          new Exchange().run(client(wrong.format(), Fixtures.HONEST), server(Fixtures.HONEST));

      assertThat(exchange.serverTrusted).as(suite.wireName()).isNull();
      assertThat(exchange.clientTrusted).isNull();
      assertThat(exchange.serverFrames).last().isEqualTo(Frame.error(ErrorReason.REJECTED));
      assertThat(((Step.Failed) exchange.clientResult.next()).code())
          .isEqualTo(ErrorCode.KEY_REJECTED);
      assertThat(keys.list())
          .filteredOn(k -> k.id().equals(issued.id()))
          .extracting(k -> k.attemptsLeft())
          .containsExactly(2);
      keys.cancel(issued.id());
    }
  }

  @Test
  void swappedCertificates_manInTheMiddle_isRejected() throws Exception {
    // A relay that terminates TLS on both legs makes each side see a different certificate
    // pair; here the server sees the attacker's certificate in place of the client's.
    SessionCertificates serverView =
        SessionCertificates.of(Fixtures.SERVER_DER, Fixtures.SERVER_DER);
    for (Suite suite : Suite.values()) {
      PendingKeys.IssuedKey issued = keys.issue(suite, LIFETIME);

      Exchange exchange =
          new Exchange().run(client(issued.code(), Fixtures.HONEST), server(serverView));

      assertThat(exchange.serverTrusted).as(suite.wireName()).isNull();
      assertThat(exchange.clientTrusted).isNull();
      assertThat(exchange.serverFrames).last().isEqualTo(Frame.error(ErrorReason.REJECTED));
      keys.cancel(issued.id());
    }
  }

  @Test
  void hmac_m1ReplayedAsM2_isRejectedByTheClient() throws Exception {
    PendingKeys.IssuedKey issued = keys.issue(Suite.HMAC, LIFETIME);
    ClientSession client = client(issued.code(), Fixtures.HONEST);
    Frame m1 = client.start().send().get(0);

    // An impostor server reflects the client's own MAC back as its answer.
    Step step = client.onFrame(Frame.of(FrameType.HMAC_RESPONSE, m1.body()));

    assertThat(step.next()).isInstanceOf(Step.Failed.class);
    assertThat(((Step.Failed) step.next()).code()).isEqualTo(ErrorCode.KEY_REJECTED);
    assertThat(((Step.Failed) step.next()).message()).contains("impostor");
  }

  @Test
  void spake2_confirmationReflected_isRejectedByTheClient() throws Exception {
    PendingKeys.IssuedKey issued = keys.issue(Suite.SPAKE2, LIFETIME);
    ClientSession client = client(issued.code(), Fixtures.HONEST);
    ServerSession server = server(Fixtures.HONEST);
    Step share = server.onFrame(client.start().send().get(0));
    Frame confirm = client.onFrame(share.send().get(0)).send().get(0);

    Step step = client.onFrame(Frame.of(FrameType.SPAKE2_SERVER_CONFIRM, confirm.body()));

    assertThat(step.next()).isInstanceOf(Step.Failed.class);
    server.abort();
  }

  @Test
  void serverFailsToPersist_clientTrustsNothingAndKeyIsGone() throws Exception {
    PendingKeys.IssuedKey issued = keys.issue(Suite.SPAKE2, LIFETIME);
    CompletableFuture<KeyOutcome> outcome = keys.outcome(issued.id()).orElseThrow();
    Exchange exchange = new Exchange();
    exchange.serverPersistOk = false;

    exchange.run(client(issued.code(), Fixtures.HONEST), server(Fixtures.HONEST));

    assertThat(exchange.clientTrusted).isNull();
    assertThat(exchange.serverFrames).last().isEqualTo(Frame.error(ErrorReason.INTERNAL));
    assertThat(outcome.getNow(null).status()).isEqualTo(KeyOutcome.Status.FAILED);
  }

  @Test
  void spake2_unknownSlot_looksLikeAWrongCode() throws Exception {
    PendingKeys.IssuedKey issued = keys.issue(Suite.SPAKE2, LIFETIME);
    Spake2Code real = (Spake2Code) PairingCode.parse(issued.code());
    Spake2Code otherSlot = Spake2Code.create((real.slot() + 1) % 100, real.secretDigits());

    Exchange exchange =
        new Exchange()
            .run(ClientSession.spake2(otherSlot, Fixtures.HONEST, RANDOM), server(Fixtures.HONEST));

    // Same frames, same lengths, same final error as a wrong code for a real slot.
    assertThat(exchange.serverFrames)
        .extracting(Frame::type)
        .containsExactly(FrameType.SPAKE2_SERVER_SHARE, FrameType.ERROR);
    assertThat(exchange.serverFrames).last().isEqualTo(Frame.error(ErrorReason.REJECTED));
    assertThat(keys.list()).extracting(k -> k.attemptsLeft()).containsExactly(3);
  }

  @Test
  void spake2_burnedKey_rejectsEvenTheRightCode() throws Exception {
    PendingKeys.IssuedKey issued = keys.issue(Suite.SPAKE2, LIFETIME);
    PairingCode wrong = TestKeys.wrongKeyLike(issued.code(), RANDOM);
    for (int i = 0; i < 3; i++) {
      new Exchange().run(client(wrong.format(), Fixtures.HONEST), server(Fixtures.HONEST));
    }

    Exchange exchange =
        new Exchange().run(client(issued.code(), Fixtures.HONEST), server(Fixtures.HONEST));

    assertThat(exchange.serverTrusted).isNull();
    assertThat(exchange.serverFrames).last().isEqualTo(Frame.error(ErrorReason.REJECTED));
    assertThat(keys.outcome(issued.id()).orElseThrow().getNow(null).status())
        .isEqualTo(KeyOutcome.Status.BURNED);
  }

  @Test
  void expiredOrUsedKey_isRejectedTheSameWay() throws Exception {
    PendingKeys.IssuedKey used = keys.issue(Suite.HMAC, LIFETIME);
    new Exchange().run(client(used.code(), Fixtures.HONEST), server(Fixtures.HONEST));
    PendingKeys.IssuedKey expired = keys.issue(Suite.SPAKE2, Duration.ofSeconds(30));
    clock.advance(Duration.ofSeconds(30));

    Exchange reuse =
        new Exchange().run(client(used.code(), Fixtures.HONEST), server(Fixtures.HONEST));
    Exchange late =
        new Exchange().run(client(expired.code(), Fixtures.HONEST), server(Fixtures.HONEST));

    assertThat(reuse.serverFrames).last().isEqualTo(Frame.error(ErrorReason.REJECTED));
    assertThat(late.serverFrames).last().isEqualTo(Frame.error(ErrorReason.REJECTED));
    assertThat(reuse.serverTrusted).isNull();
    assertThat(late.serverTrusted).isNull();
  }

  @Test
  void spake2_twoClientsRacingForOneKey_exactlyOneWins() throws Exception {
    PendingKeys.IssuedKey issued = keys.issue(Suite.SPAKE2, LIFETIME);
    ClientSession first = client(issued.code(), Fixtures.HONEST);
    ClientSession second = client(issued.code(), Fixtures.HONEST);
    ServerSession serverOne = server(Fixtures.HONEST);
    ServerSession serverTwo = server(Fixtures.HONEST);
    // Interleave: both shares, then both confirmations.
    Frame shareOne = serverOne.onFrame(first.start().send().get(0)).send().get(0);
    Frame shareTwo = serverTwo.onFrame(second.start().send().get(0)).send().get(0);
    Frame confirmOne = first.onFrame(shareOne).send().get(0);
    Frame confirmTwo = second.onFrame(shareTwo).send().get(0);

    Step one = serverOne.onFrame(confirmOne);
    Step two = serverTwo.onFrame(confirmTwo);

    List<Step> steps = List.of(one, two);
    assertThat(steps).filteredOn(s -> s.next() instanceof Step.PersistTrust).hasSize(1);
    assertThat(steps).filteredOn(s -> s.next() instanceof Step.Failed).hasSize(1);
  }

  @Test
  void ping_trustedClient_getsPong_untrustedGetsNotTrusted() throws Exception {
    ServerSession trusting =
        server(Fixtures.HONEST, der -> Arrays.equals(der, Fixtures.CLIENT_DER));
    ServerSession distrusting = server(Fixtures.HONEST);

    Exchange ok = new Exchange().run(ClientSession.ping(Fixtures.HONEST, true), trusting);
    Exchange refused = new Exchange().run(ClientSession.ping(Fixtures.HONEST, true), distrusting);
    Exchange oneWay =
        new Exchange()
            .run(ClientSession.ping(Fixtures.HONEST, false), server(Fixtures.HONEST, der -> true));

    assertThat(ok.clientResult.next()).isInstanceOf(Step.Succeeded.class);
    assertThat(((Step.Failed) refused.clientResult.next()).message())
        .contains("the other device does not trust this one");
    assertThat(((Step.Failed) oneWay.clientResult.next()).message())
        .contains("this device does not trust the other");
  }

  @Test
  void unexpectedFirstFrame_isAnsweredUnexpected() {
    Step step = server(Fixtures.HONEST).onFrame(Frame.of(FrameType.HMAC_RESPONSE, new byte[32]));

    assertThat(step.send()).containsExactly(Frame.error(ErrorReason.UNEXPECTED));
    assertThat(step.next()).isInstanceOf(Step.Failed.class);
  }

  @Test
  void spake2_invalidShare_isMalformedAndCostsTheAttempt() throws Exception {
    PendingKeys.IssuedKey issued = keys.issue(Suite.SPAKE2, LIFETIME);
    byte[] body = new byte[66];
    body[0] = (byte) Integer.parseInt(issued.id());
    body[1] = 4; // uncompressed prefix, but (0, 0...) is not on the curve

    Step step = server(Fixtures.HONEST).onFrame(Frame.of(FrameType.SPAKE2_CLIENT_SHARE, body));

    assertThat(step.send()).containsExactly(Frame.error(ErrorReason.MALFORMED));
    assertThat(keys.list()).extracting(k -> k.attemptsLeft()).containsExactly(2);
  }

  @Test
  void abortMidExchange_countsTheSpake2Attempt() throws Exception {
    PendingKeys.IssuedKey issued = keys.issue(Suite.SPAKE2, LIFETIME);
    ServerSession server = server(Fixtures.HONEST);
    server.onFrame(client(issued.code(), Fixtures.HONEST).start().send().get(0));

    server.abort();

    assertThat(keys.list()).extracting(k -> k.attemptsLeft()).containsExactly(2);
  }

  @Test
  void spake2_errorFromClientMidExchange_serverClosesSilentlyAndCountsTheAttempt()
      throws Exception {
    PendingKeys.IssuedKey issued = keys.issue(Suite.SPAKE2, LIFETIME);
    ServerSession server = server(Fixtures.HONEST);
    server.onFrame(client(issued.code(), Fixtures.HONEST).start().send().get(0));

    Step step = server.onFrame(Frame.error(ErrorReason.TIMEOUT));

    assertThat(step.send()).isEmpty();
    assertThat(step.next())
        .isInstanceOfSatisfying(
            Step.Failed.class,
            failed -> assertThat(failed.code()).isEqualTo(ErrorCode.PROTOCOL_ERROR));
    assertThat(keys.list()).extracting(k -> k.attemptsLeft()).containsExactly(2);
  }

  @Test
  void spake2_serverShareNotAPoint_clientFailsWithAMessageAndAnswersMalformed() throws Exception {
    PendingKeys.IssuedKey issued = keys.issue(Suite.SPAKE2, LIFETIME);
    ClientSession client = client(issued.code(), Fixtures.HONEST);
    client.start();
    byte[] notAPoint = new byte[65];
    notAPoint[0] = 4;

    Step step = client.onFrame(Frame.of(FrameType.SPAKE2_SERVER_SHARE, notAPoint));

    assertThat(step.send()).containsExactly(Frame.error(ErrorReason.MALFORMED));
    assertThat(step.next())
        .isInstanceOfSatisfying(
            Step.Failed.class,
            failed -> {
              assertThat(failed.code()).isEqualTo(ErrorCode.PROTOCOL_ERROR);
              assertThat(failed.message())
                  .isEqualTo("the other device sent an invalid SPAKE2 share; nothing was trusted");
            });
    assertThat(client.isDone()).isTrue();
  }
}
