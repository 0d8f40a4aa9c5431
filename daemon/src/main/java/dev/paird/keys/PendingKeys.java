package dev.paird.keys;

import dev.paird.api.ControlProtocol;
import dev.paird.api.Durations;
import dev.paird.api.ErrorCode;
import dev.paird.api.HmacCode;
import dev.paird.api.PairdException;
import dev.paird.api.PairingCode;
import dev.paird.api.Spake2Code;
import dev.paird.api.Suite;
import dev.paird.protocol.KeyLedger;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.function.LongSupplier;
import java.util.function.Predicate;

/**
 * The keys issued by {@code new-key} and waiting for a peer: an expiring, bounded, in-memory map.
 *
 * <p>Guarantees:
 *
 * <ul>
 *   <li>Keys live only here, in memory. They are wiped when they expire, are burned, cancelled or
 *       used, and nothing in this class logs, prints or persists them.
 *   <li>At most {@code maxPending} keys are pending; {@link #issue} refuses more.
 *   <li>A key is used at most once, even when several peers race for it: exactly one {@link
 *       KeyLedger.Claim} is ever handed out per key.
 *   <li>A key is tried at most {@code maxAttempts} times. An hmac attempt is counted when it fails;
 *       a spake2 attempt is counted when the exchange starts, so that parallel connections cannot
 *       run more exchanges than the limit. The last failure burns the key.
 *   <li>Lifetimes are measured on the injected monotonic {@code ticker} (nanoseconds, as {@link
 *       System#nanoTime}): stepping the wall clock neither extends nor shortens a key. The {@link
 *       InstantSource} only dates keys for display. Expiry happens on every call and whenever the
 *       owner calls {@link #expire()}; nothing here runs by itself, so an owner that wants a key
 *       wiped and its {@code wait-key} outcome told soon after it runs out polls {@link #expire()}
 *       (the daemon does, once a second).
 * </ul>
 *
 * <p>It does not hide which slots are in use: slots are public by design.
 */
public final class PendingKeys implements KeyLedger {
  /** How long the outcome of a finished key stays available to {@code wait-key}. */
  static final Duration OUTCOME_RETENTION = Duration.ofMinutes(10);

  private final int maxPending;
  private final int maxAttempts;
  private final InstantSource clock;
  private final LongSupplier ticker;
  private final SecureRandom random;
  private final CodeGenerator codes;
  private final Duration minLifetime;

  private final Object lock = new Object();
  private final Map<Integer, PendingKey> live = new TreeMap<>(); // guarded by lock
  private final Map<Integer, Finished> finished = new TreeMap<>(); // guarded by lock

  private record Finished(CompletableFuture<KeyOutcome> outcome, long atTick) {}

  /** Makes the secret of a key about to be issued in {@code slot}. */
  @FunctionalInterface
  interface CodeGenerator {
    PairingCode generate(Suite suite, int slot);
  }

  /**
   * Pending keys whose secrets come from {@code random}; spake2 codes have {@code codeDigits}.
   * {@code ticker} is a monotonic clock in nanoseconds ({@code System::nanoTime}); {@code clock}
   * only dates keys for display.
   */
  public PendingKeys(
      int maxPending,
      int maxAttempts,
      int codeDigits,
      InstantSource clock,
      LongSupplier ticker,
      SecureRandom random) {
    this(
        maxPending,
        maxAttempts,
        codeDigits,
        ControlProtocol.MIN_KEY_LIFETIME,
        clock,
        ticker,
        random);
  }

  /**
   * As above, taking no key shorter than {@code minLifetime}: {@link
   * ControlProtocol#MIN_KEY_LIFETIME} in every paird users run, lower only in the end-to-end test
   * of real expiry (see {@code PairdConfig.keyLifetimeFloor}).
   */
  public PendingKeys(
      int maxPending,
      int maxAttempts,
      int codeDigits,
      Duration minLifetime,
      InstantSource clock,
      LongSupplier ticker,
      SecureRandom random) {
    this(
        maxPending,
        maxAttempts,
        minLifetime,
        clock,
        ticker,
        random,
        (suite, slot) ->
            suite == Suite.SPAKE2
                ? Spake2Code.generate(random, slot, codeDigits)
                : HmacCode.generate(random));
  }

  /**
   * Test-only: pending keys whose secrets come from {@code codes} instead of {@code random}, so
   * that a test can issue a key of known shape, such as the deliberately weak hmac key of the
   * man-in-the-middle test (the product never issues one). Slots are still drawn from {@code
   * random}.
   */
  PendingKeys(
      int maxPending,
      int maxAttempts,
      InstantSource clock,
      LongSupplier ticker,
      SecureRandom random,
      CodeGenerator codes) {
    this(maxPending, maxAttempts, ControlProtocol.MIN_KEY_LIFETIME, clock, ticker, random, codes);
  }

  private PendingKeys(
      int maxPending,
      int maxAttempts,
      Duration minLifetime,
      InstantSource clock,
      LongSupplier ticker,
      SecureRandom random,
      CodeGenerator codes) {
    if (maxPending < 1 || maxPending > Spake2Code.SLOTS) {
      throw new IllegalArgumentException("maxPending must be 1-" + Spake2Code.SLOTS);
    }
    if (maxAttempts < 1) {
      throw new IllegalArgumentException("maxAttempts must be positive");
    }
    this.maxPending = maxPending;
    this.maxAttempts = maxAttempts;
    this.clock = clock;
    this.ticker = ticker;
    this.random = random;
    this.codes = codes;
    this.minLifetime = minLifetime;
  }

  /**
   * A key that was just issued: its id, and the code to show the user once, as the ASCII of {@link
   * PairingCode#format()} in an array that {@link #takeCode()} hands over.
   */
  public static final class IssuedKey {
    private final String id;
    private final Suite suite;
    private final byte[] code;
    private final Instant expiresAt;

    IssuedKey(String id, Suite suite, byte[] code, Instant expiresAt) {
      this.id = id;
      this.suite = suite;
      this.code = code;
      this.expiresAt = expiresAt;
    }

    public String id() {
      return id;
    }

    public Suite suite() {
      return suite;
    }

    public Instant expiresAt() {
      return expiresAt;
    }

    /**
     * The code as ASCII, the array itself: the caller owns it from now on and wipes it when done.
     */
    public byte[] takeCode() {
      return code;
    }

    /**
     * The code as a {@code String}, which cannot be wiped: for tests and tools. The daemon's answer
     * is written from {@link #takeCode()}.
     */
    public String code() {
      return new String(code, StandardCharsets.US_ASCII);
    }

    @Override
    public String toString() {
      return "IssuedKey[id="
          + id
          + ", suite="
          + suite
          + ", code=redacted, expiresAt="
          + expiresAt
          + "]";
    }
  }

  /**
   * Issues a fresh random key.
   *
   * @throws PairdException {@link ErrorCode#LIMIT_REACHED} if {@code maxPending} keys are pending;
   *     {@link ErrorCode#INVALID_ARGUMENT} if the lifetime is out of bounds
   */
  public IssuedKey issue(Suite suite, Duration lifetime) throws PairdException {
    if (lifetime.compareTo(minLifetime) < 0
        || lifetime.compareTo(ControlProtocol.MAX_KEY_LIFETIME) > 0) {
      throw new PairdException(
          ErrorCode.INVALID_ARGUMENT,
          "key lifetime must be from "
              + Durations.format(minLifetime)
              + " to "
              + Durations.format(ControlProtocol.MAX_KEY_LIFETIME)
              + ", not "
              + Durations.format(lifetime));
    }
    synchronized (lock) {
      expireLocked();
      if (live.size() >= maxPending) {
        throw new PairdException(
            ErrorCode.LIMIT_REACHED,
            live.size()
                + " keys are already pending, the most this daemon allows"
                + " (max_pending_keys); wait for one to be used or expire, or cancel one with"
                + " 'pairctl cancel-key ID'");
      }
      int slot = chooseSlotLocked();
      PairingCode code = codes.generate(suite, slot);
      Instant now = clock.instant();
      PendingKey key =
          new PendingKey(
              slot, code, now, now.plus(lifetime), ticker.getAsLong() + lifetime.toNanos());
      live.put(slot, key);
      finished.remove(slot);
      return new IssuedKey(key.id(), suite, code.formatAscii(), key.expiresAt);
    }
  }

  /**
   * A free slot drawn uniformly at random, preferring slots whose last outcome is no longer kept.
   * The slot is public; it is drawn independently of the key's secret.
   */
  private int chooseSlotLocked() {
    List<Integer> fresh = new ArrayList<>();
    List<Integer> free = new ArrayList<>();
    for (int slot = 0; slot < Spake2Code.SLOTS; slot++) {
      if (!live.containsKey(slot)) {
        free.add(slot);
        if (!finished.containsKey(slot)) {
          fresh.add(slot);
        }
      }
    }
    List<Integer> pool = fresh.isEmpty() ? free : fresh;
    return pool.get(random.nextInt(pool.size()));
  }

  /** What may be shown about the pending keys, soonest expiry first. */
  public List<KeyInfo> list() {
    synchronized (lock) {
      expireLocked();
      long now = ticker.getAsLong();
      List<PendingKey> keys = new ArrayList<>(live.values());
      // By the monotonic expiry, not the displayed one, which a step of the wall clock skews.
      keys.sort(
          Comparator.comparingLong((PendingKey key) -> key.expiresAtTick - now)
              .thenComparing(PendingKey::id));
      List<KeyInfo> infos = new ArrayList<>(keys.size());
      for (PendingKey key : keys) {
        infos.add(
            new KeyInfo(
                key.id(),
                key.suite(),
                key.createdAt,
                key.expiresAt,
                Math.max(0, maxAttempts - key.attemptsUsed)));
      }
      return infos;
    }
  }

  /** The number of pending keys. */
  public int size() {
    synchronized (lock) {
      expireLocked();
      return live.size();
    }
  }

  /** Removes and wipes every key whose lifetime has run out. */
  public void expire() {
    synchronized (lock) {
      expireLocked();
    }
  }

  /** Withdraws a pending key. Returns false if no key has this id. */
  public boolean cancel(String id) {
    Optional<Integer> slot = parseId(id);
    synchronized (lock) {
      expireLocked();
      PendingKey key = slot.map(live::get).orElse(null);
      if (key == null) {
        return false;
      }
      finishLocked(key, KeyOutcome.of(KeyOutcome.Status.CANCELLED));
      return true;
    }
  }

  /** Withdraws every pending key, for shutdown. */
  public void cancelAll() {
    synchronized (lock) {
      for (PendingKey key : new ArrayList<>(live.values())) {
        finishLocked(key, KeyOutcome.of(KeyOutcome.Status.CANCELLED));
      }
    }
  }

  /**
   * The outcome of the key with this id: completes when it is used, expires, is burned or
   * cancelled. Empty if no such key is pending or recently finished.
   */
  public Optional<CompletableFuture<KeyOutcome>> outcome(String id) {
    Optional<Integer> slot = parseId(id);
    if (slot.isEmpty()) {
      return Optional.empty();
    }
    synchronized (lock) {
      expireLocked();
      PendingKey key = live.get(slot.get());
      if (key != null) {
        return Optional.of(key.outcome);
      }
      return Optional.ofNullable(finished.get(slot.get())).map(Finished::outcome);
    }
  }

  /**
   * {@inheritDoc}
   *
   * <p>Those that reach {@code maxAttempts} failures are burned.
   */
  @Override
  public Optional<KeyLedger.Claim> redeemHmac(Predicate<HmacCode> matches) {
    synchronized (lock) {
      expireLocked();
      PendingKey winner = null;
      List<PendingKey> candidates = new ArrayList<>();
      for (PendingKey key : live.values()) {
        if (key.code instanceof HmacCode hmac) {
          candidates.add(key);
          if (matches.test(hmac) && winner == null) {
            winner = key;
          }
        }
      }
      if (winner != null) {
        live.remove(winner.slot);
        return Optional.of(new ClaimedKey(this, winner));
      }
      for (PendingKey key : candidates) {
        key.attemptsUsed++;
        if (key.attemptsUsed >= maxAttempts) {
          finishLocked(key, KeyOutcome.of(KeyOutcome.Status.BURNED));
        }
      }
      return Optional.empty();
    }
  }

  /**
   * {@inheritDoc}
   *
   * <p>A key is usable while fewer than {@code maxAttempts} of its attempts were reserved.
   */
  @Override
  public Optional<KeyLedger.Spake2Attempt> beginSpake2(int slot) {
    synchronized (lock) {
      expireLocked();
      PendingKey key = live.get(slot);
      if (key == null
          || !(key.code instanceof Spake2Code code)
          || key.attemptsUsed >= maxAttempts) {
        return Optional.empty();
      }
      key.attemptsUsed++;
      key.inFlight++;
      return Optional.of(new ReservedAttempt(this, key, code.secretDigits()));
    }
  }

  /** Ends an attempt: on success claims the key if it is still pending; on failure may burn it. */
  Optional<KeyLedger.Claim> endSpake2(ReservedAttempt attempt, boolean succeeded) {
    synchronized (lock) {
      PendingKey key = attempt.key;
      key.inFlight--;
      expireLocked();
      if (live.get(key.slot) != key) {
        return Optional.empty(); // expired, cancelled, burned or claimed meanwhile
      }
      if (succeeded) {
        live.remove(key.slot);
        return Optional.of(new ClaimedKey(this, key));
      }
      if (key.attemptsUsed >= maxAttempts && key.inFlight == 0) {
        finishLocked(key, KeyOutcome.of(KeyOutcome.Status.BURNED));
      }
      return Optional.empty();
    }
  }

  /** Records how a claimed key ended and wipes it. */
  void settle(ClaimedKey claim, KeyOutcome outcome) {
    synchronized (lock) {
      PendingKey key = claim.key;
      key.code.destroy();
      finished.put(key.slot, new Finished(key.outcome, ticker.getAsLong()));
      key.outcome.complete(outcome);
    }
  }

  private void expireLocked() {
    long now = ticker.getAsLong();
    for (PendingKey key : new ArrayList<>(live.values())) {
      if (key.expired(now)) {
        finishLocked(key, KeyOutcome.of(KeyOutcome.Status.EXPIRED));
      }
    }
    finished.values().removeIf(f -> now - f.atTick >= OUTCOME_RETENTION.toNanos());
  }

  private void finishLocked(PendingKey key, KeyOutcome outcome) {
    live.remove(key.slot);
    key.code.destroy();
    finished.put(key.slot, new Finished(key.outcome, ticker.getAsLong()));
    key.outcome.complete(outcome);
  }

  static String formatId(int slot) {
    return String.format(Locale.ROOT, "%02d", slot);
  }

  private static Optional<Integer> parseId(String id) {
    if (id == null || id.isEmpty() || id.length() > 2 || !Durations.isAsciiDigits(id)) {
      return Optional.empty();
    }
    return Optional.of(Integer.parseInt(id));
  }

  @Override
  public String toString() {
    synchronized (lock) {
      return "PendingKeys[pending=" + live.size() + ", max=" + maxPending + "]";
    }
  }
}
