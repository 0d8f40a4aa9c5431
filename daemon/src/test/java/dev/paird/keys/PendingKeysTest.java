package dev.paird.keys;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.paird.api.ErrorCode;
import dev.paird.api.HmacCode;
import dev.paird.api.PairdException;
import dev.paird.api.PairingCode;
import dev.paird.api.Spake2Code;
import dev.paird.api.Suite;
import dev.paird.protocol.KeyLedger;
import dev.paird.testing.FakeClock;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

final class PendingKeysTest {
  private static final Duration FIVE_MINUTES = Duration.ofMinutes(5);

  private final FakeClock clock = new FakeClock();
  private final PendingKeys keys =
      new PendingKeys(4, 3, 8, clock, clock::nanoTime, new SecureRandom());

  private static byte[] hmacBytes(String typed) throws PairdException {
    return ((HmacCode) PairingCode.parse(typed)).keyBytes();
  }

  @Test
  void issue_spake2_givesACodeWhoseSlotIsTheId() throws Exception {
    PendingKeys.IssuedKey issued = keys.issue(Suite.SPAKE2, FIVE_MINUTES);

    Spake2Code code = (Spake2Code) PairingCode.parse(issued.code());
    assertThat(PendingKeys.formatId(code.slot())).isEqualTo(issued.id());
    assertThat(code.secretLength()).isEqualTo(8);
    assertThat(issued.expiresAt()).isEqualTo(clock.instant().plus(FIVE_MINUTES));
    assertThat(issued.toString()).doesNotContain(issued.code());
  }

  @Test
  void issue_beyondTheBound_isRefused() throws Exception {
    for (int i = 0; i < 4; i++) {
      keys.issue(Suite.HMAC, FIVE_MINUTES);
    }

    assertThatThrownBy(() -> keys.issue(Suite.SPAKE2, FIVE_MINUTES))
        .isInstanceOf(PairdException.class)
        .satisfies(e -> assertThat(((PairdException) e).code()).isEqualTo(ErrorCode.LIMIT_REACHED))
        .hasMessageContaining("4 keys are already pending");
    assertThat(keys.size()).isEqualTo(4);
  }

  @Test
  void issue_lifetimeOutOfBounds_isRefused() {
    assertThatThrownBy(() -> keys.issue(Suite.SPAKE2, Duration.ofSeconds(5)))
        .hasMessageContaining("key lifetime must be from 30s to 1h, not 5s");
    assertThatThrownBy(() -> keys.issue(Suite.SPAKE2, Duration.ofHours(2)))
        .hasMessageContaining("not 2h");
  }

  @Test
  void issue_slotsAreDistinct() throws Exception {
    PendingKeys many = new PendingKeys(100, 3, 6, clock, clock::nanoTime, new SecureRandom());
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      ids.add(many.issue(Suite.SPAKE2, FIVE_MINUTES).id());
    }

    assertThat(ids).doesNotHaveDuplicates().hasSize(100);
  }

  @Test
  void expire_removesKeysAtTheirExpiryAndReportsIt() throws Exception {
    PendingKeys.IssuedKey shortKey = keys.issue(Suite.SPAKE2, Duration.ofSeconds(30));
    PendingKeys.IssuedKey longKey = keys.issue(Suite.SPAKE2, FIVE_MINUTES);
    CompletableFuture<KeyOutcome> outcome = keys.outcome(shortKey.id()).orElseThrow();

    clock.advance(Duration.ofSeconds(29));
    keys.expire();
    assertThat(keys.size()).isEqualTo(2);
    assertThat(outcome).isNotDone();

    clock.advance(Duration.ofSeconds(1));
    keys.expire();
    assertThat(keys.list()).extracting(KeyInfo::id).containsExactly(longKey.id());
    assertThat(outcome.getNow(null).status()).isEqualTo(KeyOutcome.Status.EXPIRED);
  }

  @Test
  void wallClockSteppedBack_doesNotExtendAKey() throws Exception {
    PendingKeys.IssuedKey issued = keys.issue(Suite.SPAKE2, Duration.ofSeconds(30));
    CompletableFuture<KeyOutcome> outcome = keys.outcome(issued.id()).orElseThrow();

    clock.stepWallClock(Duration.ofHours(-1));
    clock.advance(Duration.ofSeconds(30));
    keys.expire();

    assertThat(outcome.getNow(null).status()).isEqualTo(KeyOutcome.Status.EXPIRED);
  }

  @Test
  void wallClockSteppedForward_doesNotKillAKey() throws Exception {
    PendingKeys.IssuedKey issued = keys.issue(Suite.SPAKE2, Duration.ofSeconds(30));

    clock.stepWallClock(Duration.ofHours(2));
    clock.advance(Duration.ofSeconds(29));
    keys.expire();

    assertThat(keys.list()).extracting(KeyInfo::id).containsExactly(issued.id());
    assertThat(keys.beginSpake2(Integer.parseInt(issued.id()))).isPresent();
  }

  @Test
  void expire_wipesTheKeyBytes() throws Exception {
    PendingKeys.IssuedKey issued = keys.issue(Suite.SPAKE2, Duration.ofSeconds(30));
    PendingKey key = keyInSlot(issued.id());

    clock.advance(Duration.ofSeconds(30));
    keys.expire();

    assertThat(key.code.isDestroyed()).isTrue();
  }

  @Test
  void expiredKey_cannotBeRedeemed() throws Exception {
    PendingKeys.IssuedKey issued = keys.issue(Suite.HMAC, Duration.ofSeconds(30));
    byte[] expected = hmacBytes(issued.code());
    clock.advance(Duration.ofSeconds(30));

    assertThat(keys.redeemHmac(code -> java.util.Arrays.equals(code.keyBytes(), expected)))
        .isEmpty();
  }

  @Test
  void redeemHmac_match_claimsOnceAndReportsThePeer() throws Exception {
    PendingKeys.IssuedKey issued = keys.issue(Suite.HMAC, FIVE_MINUTES);
    keys.issue(Suite.HMAC, FIVE_MINUTES);
    byte[] expected = hmacBytes(issued.code());
    CompletableFuture<KeyOutcome> outcome = keys.outcome(issued.id()).orElseThrow();

    Optional<KeyLedger.Claim> claim =
        keys.redeemHmac(code -> java.util.Arrays.equals(code.keyBytes(), expected));

    assertThat(claim).isPresent();
    assertThat(((ClaimedKey) claim.get()).id()).isEqualTo(issued.id());
    assertThat(keys.size()).isEqualTo(1);
    assertThat(keys.redeemHmac(code -> java.util.Arrays.equals(code.keyBytes(), expected)))
        .isEmpty();

    claim.get().paired(new KeyLedger.Peer("ab".repeat(32), "CN=b"));
    assertThat(outcome.getNow(null)).isEqualTo(KeyOutcome.paired("ab".repeat(32), "CN=b"));
    assertThat(claim.get().code().isDestroyed()).isTrue();
  }

  @Test
  void redeemHmac_failures_countAgainstEveryHmacKeyAndBurnAtTheLimit() throws Exception {
    PendingKeys.IssuedKey first = keys.issue(Suite.HMAC, FIVE_MINUTES);
    PendingKeys.IssuedKey second = keys.issue(Suite.HMAC, FIVE_MINUTES);
    PendingKeys.IssuedKey spake = keys.issue(Suite.SPAKE2, FIVE_MINUTES);
    byte[] expected = hmacBytes(first.code());

    keys.redeemHmac(code -> false);
    keys.redeemHmac(code -> false);
    assertThat(keys.list())
        .filteredOn(k -> k.suite() == Suite.HMAC)
        .extracting(KeyInfo::attemptsLeft)
        .containsOnly(1);

    keys.redeemHmac(code -> false);

    assertThat(keys.list()).extracting(KeyInfo::id).containsExactly(spake.id());
    assertThat(keys.outcome(second.id()).orElseThrow().getNow(null).status())
        .isEqualTo(KeyOutcome.Status.BURNED);
    // The right key no longer works once burned.
    assertThat(keys.redeemHmac(code -> java.util.Arrays.equals(code.keyBytes(), expected)))
        .isEmpty();
  }

  @Test
  void redeemHmac_evaluatesEveryCandidateEvenAfterAMatch() throws Exception {
    keys.issue(Suite.HMAC, FIVE_MINUTES);
    keys.issue(Suite.HMAC, FIVE_MINUTES);
    keys.issue(Suite.HMAC, FIVE_MINUTES);
    int[] evaluated = {0};

    keys.redeemHmac(
        code -> {
          evaluated[0]++;
          return true;
        });

    assertThat(evaluated[0]).isEqualTo(3);
  }

  @Test
  void spake2_attemptsAreCountedWhenTheExchangeStarts() throws Exception {
    PendingKeys.IssuedKey issued = keys.issue(Suite.SPAKE2, FIVE_MINUTES);
    int slot = Integer.parseInt(issued.id());

    // Three exchanges in parallel use up all three attempts; a fourth gets nothing.
    KeyLedger.Spake2Attempt a = keys.beginSpake2(slot).orElseThrow();
    KeyLedger.Spake2Attempt b = keys.beginSpake2(slot).orElseThrow();
    KeyLedger.Spake2Attempt c = keys.beginSpake2(slot).orElseThrow();
    assertThat(keys.beginSpake2(slot)).isEmpty();

    a.failed();
    b.failed();
    assertThat(keys.size()).isEqualTo(1); // c is still running
    c.failed();

    assertThat(keys.size()).isZero();
    assertThat(keys.outcome(issued.id()).orElseThrow().getNow(null).status())
        .isEqualTo(KeyOutcome.Status.BURNED);
  }

  @Test
  void spake2_lastAttemptCanStillSucceed() throws Exception {
    PendingKeys.IssuedKey issued = keys.issue(Suite.SPAKE2, FIVE_MINUTES);
    int slot = Integer.parseInt(issued.id());
    keys.beginSpake2(slot).orElseThrow().failed();
    keys.beginSpake2(slot).orElseThrow().failed();

    Optional<KeyLedger.Claim> claim = keys.beginSpake2(slot).orElseThrow().succeeded();

    assertThat(claim).isPresent();
  }

  @Test
  void spake2_secretDigitsMatchTheIssuedCode() throws Exception {
    PendingKeys.IssuedKey issued = keys.issue(Suite.SPAKE2, FIVE_MINUTES);
    Spake2Code typed = (Spake2Code) PairingCode.parse(issued.code());

    KeyLedger.Spake2Attempt attempt = keys.beginSpake2(typed.slot()).orElseThrow();

    assertThat(attempt.secretDigits()).isEqualTo(typed.secretDigits());
  }

  @Test
  void spake2_unknownSlotOrHmacSlot_givesNoAttempt() throws Exception {
    PendingKeys.IssuedKey hmac = keys.issue(Suite.HMAC, FIVE_MINUTES);

    assertThat(keys.beginSpake2(Integer.parseInt(hmac.id()))).isEmpty();
    assertThat(keys.beginSpake2((Integer.parseInt(hmac.id()) + 1) % 100)).isEmpty();
  }

  @Test
  void spake2_successAfterExpiry_claimsNothing() throws Exception {
    PendingKeys.IssuedKey issued = keys.issue(Suite.SPAKE2, Duration.ofSeconds(30));
    KeyLedger.Spake2Attempt attempt = keys.beginSpake2(Integer.parseInt(issued.id())).orElseThrow();

    clock.advance(Duration.ofSeconds(31));

    assertThat(attempt.succeeded()).isEmpty();
  }

  @Test
  void spake2_racingWinners_exactlyOneClaims() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(3);
    try {
      for (int round = 0; round < 200; round++) {
        PendingKeys racing = new PendingKeys(1, 3, 8, clock, clock::nanoTime, new SecureRandom());
        int slot = Integer.parseInt(racing.issue(Suite.SPAKE2, FIVE_MINUTES).id());
        List<KeyLedger.Spake2Attempt> attempts = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
          attempts.add(racing.beginSpake2(slot).orElseThrow());
        }
        CountDownLatch start = new CountDownLatch(1);
        List<Future<Optional<KeyLedger.Claim>>> results = new ArrayList<>();
        for (KeyLedger.Spake2Attempt attempt : attempts) {
          results.add(
              pool.submit(
                  () -> {
                    start.await();
                    return attempt.succeeded();
                  }));
        }
        start.countDown();
        int winners = 0;
        for (Future<Optional<KeyLedger.Claim>> result : results) {
          winners += result.get(10, TimeUnit.SECONDS).isPresent() ? 1 : 0;
        }
        assertThat(winners).isEqualTo(1);
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void cancel_removesAndReports() throws Exception {
    PendingKeys.IssuedKey issued = keys.issue(Suite.SPAKE2, FIVE_MINUTES);

    assertThat(keys.cancel(issued.id())).isTrue();
    assertThat(keys.cancel(issued.id())).isFalse();
    assertThat(keys.cancel("not-an-id")).isFalse();
    assertThat(keys.size()).isZero();
    assertThat(keys.outcome(issued.id()).orElseThrow().getNow(null).status())
        .isEqualTo(KeyOutcome.Status.CANCELLED);
  }

  @Test
  void outcome_isForgottenAfterRetention() throws Exception {
    PendingKeys.IssuedKey issued = keys.issue(Suite.SPAKE2, Duration.ofSeconds(30));
    clock.advance(Duration.ofSeconds(30));
    keys.expire();
    assertThat(keys.outcome(issued.id())).isPresent();

    clock.advance(PendingKeys.OUTCOME_RETENTION);

    assertThat(keys.outcome(issued.id())).isEmpty();
  }

  @Test
  void toString_revealsNoKeys() throws Exception {
    PendingKeys.IssuedKey issued = keys.issue(Suite.SPAKE2, FIVE_MINUTES);

    assertThat(keys.toString()).doesNotContain(issued.code()).contains("pending=1");
    // All eight secret digits in a row: the date in the text can hold four of them by chance.
    String secret = issued.code().substring(3, 7) + issued.code().substring(8, 12);
    assertThat(keyInSlot(issued.id()).toString()).doesNotContain(secret);
  }

  private PendingKey keyInSlot(String id) throws Exception {
    ReservedAttempt attempt =
        (ReservedAttempt) keys.beginSpake2(Integer.parseInt(id)).orElseThrow();
    PendingKey key = attempt.key;
    key.attemptsUsed--; // undo the reservation made only to reach the key
    key.inFlight--;
    return key;
  }
}
