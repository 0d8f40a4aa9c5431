package dev.paird.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import dev.paird.api.ErrorCode;
import dev.paird.api.HmacCode;
import dev.paird.api.PairingCode;
import dev.paird.api.Spake2Code;
import dev.paird.api.Suite;
import dev.paird.identity.Certificates;
import dev.paird.keys.KeyInfo;
import dev.paird.keys.PendingKeys;
import dev.paird.testing.FakeClock;
import dev.paird.testing.Mutations;
import dev.paird.testing.TestKeys;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The protocol core fed as a hostile peer feeds it: random, truncated, reordered, duplicated and
 * bit-flipped frame sequences, starting from valid exchanges, with fixed seeds. Each session is
 * driven as {@code SessionHandler} drives it: no frame after the session has ended or while it
 * waits for trust to be persisted.
 *
 * <p>What must hold: no exception escapes; every failure carries a code the role can report; a side
 * asks to trust its peer only when it received exactly the frames an honest peer with the right key
 * sent it, in order, and then always does; and a key is tried no more than its attempts allow.
 */
final class SessionsFuzzTest {
  private static final int MAX_ATTEMPTS = 3;
  private static final Duration LIFETIME = Duration.ofMinutes(5);
  private static final KeyLedger.Peer CLIENT =
      new KeyLedger.Peer(Certificates.fingerprint(Fixtures.CLIENT_DER), "");

  /** What a server's exchange may end in: the codes of docs/PROTOCOL.md's server side. */
  private static final Set<ErrorCode> SERVER_CODES =
      EnumSet.of(
          ErrorCode.KEY_REJECTED,
          ErrorCode.PROTOCOL_ERROR,
          ErrorCode.NOT_TRUSTED,
          ErrorCode.INTERNAL);

  /** What a client's exchange may end in. */
  private static final Set<ErrorCode> CLIENT_CODES =
      EnumSet.of(
          ErrorCode.KEY_REJECTED,
          ErrorCode.PROTOCOL_ERROR,
          ErrorCode.NOT_TRUSTED,
          ErrorCode.BUSY,
          ErrorCode.TIMEOUT,
          ErrorCode.PEER_FAILED,
          ErrorCode.INTERNAL);

  private final FakeClock clock = new FakeClock();
  private final List<Frame> stale = new ArrayList<>();

  /** A {@link SecureRandom} that repeats itself for a seed, so that a failure can be replayed. */
  private static SecureRandom seeded(long seed) {
    Random random = new Random(seed);
    return new SecureRandom() {
      private static final long serialVersionUID = 1L;

      @Override
      public void nextBytes(byte[] bytes) {
        random.nextBytes(bytes);
      }
    };
  }

  @Test
  void server_hostileFrameSequences_trustOnlyTheHonestClient_andCountEveryAttempt()
      throws Exception {
    Random random = new Random(0x5e55_0001L);
    SecureRandom secure = seeded(random.nextLong());
    PendingKeys keys = new PendingKeys(8, MAX_ATTEMPTS, 8, clock, clock::nanoTime, secure);
    int trusted = 0;
    int refusedAfterBurn = 0;
    for (int round = 0; round < 900; round++) {
      Suite suite = random.nextBoolean() ? Suite.HMAC : Suite.SPAKE2;
      PendingKeys.IssuedKey issued = keys.issue(suite, LIFETIME);
      PairingCode code = PairingCode.parse(issued.code());
      int used = 0;
      boolean gone = false;
      int sessions = 1 + random.nextInt(5);
      for (int s = 0; s < sessions; s++) {
        ServerRun run = new ServerRun(random, secure, keys, code);
        run.drive(!gone && used < MAX_ATTEMPTS);
        if (run.trusted) {
          trusted++;
        }
        if (run.honestInFull && gone) {
          refusedAfterBurn++;
        }
        if (run.claimed) {
          gone = true;
        } else if (run.countsAnAttempt(code)) {
          used++;
        }
        Optional<KeyInfo> info =
            keys.list().stream().filter(k -> k.id().equals(issued.id())).findFirst();
        if (gone || used >= MAX_ATTEMPTS) {
          assertThat(info).as("round %d session %d", round, s).isEmpty();
          gone = true;
        } else {
          assertThat(info)
              .as("round %d session %d", round, s)
              .map(KeyInfo::attemptsLeft)
              .contains(MAX_ATTEMPTS - used);
        }
      }
      keys.cancel(issued.id());
    }
    // The fuzzer reached the interesting places, not only the early refusals.
    assertThat(trusted).isGreaterThan(10);
    assertThat(refusedAfterBurn).isGreaterThan(0);
  }

  /** One server session against a mix of an honest client, a wrong one and noise. */
  private final class ServerRun {
    private final Random random;
    private final ServerSession server;
    private final ClientSession honest;
    private final ClientSession wrong;
    private final Deque<Frame> honestPending = new ArrayDeque<>();
    private final Deque<Frame> wrongPending = new ArrayDeque<>();
    private final List<Frame> honestSent = new ArrayList<>();
    private final List<Frame> fed = new ArrayList<>();
    boolean trusted;
    boolean claimed;
    boolean honestInFull;
    private final boolean hmac;

    ServerRun(Random random, SecureRandom secure, PendingKeys keys, PairingCode code)
        throws Exception {
      this.random = random;
      this.hmac = code instanceof HmacCode;
      this.server =
          new ServerSession(
              Fixtures.HONEST,
              CLIENT,
              keys,
              der -> Arrays.equals(der, Fixtures.CLIENT_DER) && random.nextBoolean(),
              secure);
      this.honest = client(code, secure);
      this.wrong = client(TestKeys.wrongKeyLike(code.format(), secure), secure);
      List<Frame> first = honest.start().send();
      honestPending.addAll(first);
      honestSent.addAll(first);
      wrongPending.addAll(wrong.start().send());
    }

    void drive(boolean keyUsable) {
      int frames = 1 + random.nextInt(4);
      boolean ended = false;
      for (int i = 0; i < frames && !ended; i++) {
        Frame frame = pick();
        fed.add(frame);
        Step step = server.onFrame(frame);
        checkServerStep(step);
        // The honest client's whole exchange: m1, or its share and then its confirmation.
        honestInFull = fed.equals(honestSent) && honestSent.size() == (hmac ? 1 : 2);
        if (step.next() instanceof Step.PersistTrust persist) {
          assertThat(fed).as("frames that made the server trust").isEqualTo(honestSent);
          assertThat(keyUsable).as("trust from a key with no attempt left").isTrue();
          assertThat(persist.peerCertificate()).isEqualTo(Fixtures.CLIENT_DER);
          boolean ok = random.nextInt(4) > 0;
          trusted = ok;
          claimed = true;
          step = server.persisted(ok);
          checkServerStep(step);
          assertThat(step.next()).isInstanceOf(ok ? Step.Succeeded.class : Step.Failed.class);
        } else if (honestInFull && keyUsable) {
          assertThat(step.next())
              .as("the honest client's whole exchange")
              .isInstanceOf(Step.PersistTrust.class);
        }
        for (Frame out : step.send()) {
          stale.add(out);
          if (out.type() == FrameType.SPAKE2_SERVER_SHARE) {
            answer(honest, out, honestPending, honestSent);
            answer(wrong, out, wrongPending, null);
          }
        }
        ended = step.next() instanceof Step.Succeeded || step.next() instanceof Step.Failed;
        if (!ended && random.nextBoolean()) {
          server.whileWaiting();
        }
      }
      if (!ended) {
        server.abort(); // the connection ended, or its deadline passed
        server.abort();
      }
      stale.addAll(fed);
      honest.abort();
      wrong.abort();
    }

    /** Whether this session spent one of the key's attempts, as PendingKeys counts them. */
    boolean countsAnAttempt(PairingCode code) {
      if (fed.isEmpty()) {
        return false;
      }
      Frame first = fed.get(0);
      if (code instanceof Spake2Code spake2) {
        return first.type() == FrameType.SPAKE2_CLIENT_SHARE
            && (first.body()[0] & 0xff) == spake2.slot();
      }
      return first.type() == FrameType.HMAC_REQUEST;
    }

    private void answer(ClientSession client, Frame share, Deque<Frame> pending, List<Frame> log) {
      if (client.isDone() || client.suite().orElse(null) != Suite.SPAKE2) {
        return;
      }
      Step step = client.onFrame(share);
      pending.addAll(step.send());
      if (log != null) {
        log.addAll(step.send());
      }
    }

    private Frame pick() {
      int choice = random.nextInt(100);
      if (choice < 45 && !honestPending.isEmpty()) {
        // Usually in order; now and then the same frame again.
        return random.nextInt(8) == 0 ? honestPending.peek() : honestPending.poll();
      }
      if (choice < 60 && !wrongPending.isEmpty()) {
        return wrongPending.poll();
      }
      if (choice < 75) {
        List<Frame> known = new ArrayList<>(honestSent);
        known.addAll(stale);
        return known.isEmpty() ? randomFrame(random) : flipped(random, pickFrom(known));
      }
      if (choice < 90 && !stale.isEmpty()) {
        return pickFrom(stale);
      }
      return randomFrame(random);
    }

    /** One of the last frames of {@code frames}: recent ones are the likeliest to confuse. */
    private Frame pickFrom(List<Frame> frames) {
      int recent = Math.min(frames.size(), 64);
      return frames.get(frames.size() - 1 - random.nextInt(recent));
    }
  }

  @Test
  void client_hostileServerFrames_trustOnlyTheHonestServer() throws Exception {
    Random random = new Random(0x5e55_0002L);
    SecureRandom secure = seeded(random.nextLong());
    PendingKeys keys = new PendingKeys(8, MAX_ATTEMPTS, 8, clock, clock::nanoTime, secure);
    int trusted = 0;
    for (int round = 0; round < 1200; round++) {
      int kind = random.nextInt(5);
      Suite suite = kind < 2 ? Suite.HMAC : Suite.SPAKE2;
      PendingKeys.IssuedKey issued = keys.issue(suite, LIFETIME);
      PairingCode code = PairingCode.parse(issued.code());
      boolean ping = kind == 4;
      ClientSession client =
          ping ? ClientSession.ping(Fixtures.HONEST, random.nextBoolean()) : client(code, secure);
      ServerSession server =
          new ServerSession(Fixtures.HONEST, CLIENT, keys, der -> random.nextBoolean(), secure);
      Deque<Frame> serverPending = new ArrayDeque<>();
      List<Frame> serverSent = new ArrayList<>();
      List<Frame> fed = new ArrayList<>();
      boolean[] serverDone = {false};
      serve(server, client.start().send(), serverPending, serverSent, serverDone);
      int frames = 1 + random.nextInt(4);
      boolean ended = false;
      for (int i = 0; i < frames && !ended; i++) {
        Frame frame;
        int choice = random.nextInt(100);
        if (choice < 50 && !serverPending.isEmpty()) {
          frame = random.nextInt(8) == 0 ? serverPending.peek() : serverPending.poll();
        } else if (choice < 70 && !stale.isEmpty()) {
          frame = flipped(random, stale.get(random.nextInt(stale.size())));
        } else if (choice < 85 && !stale.isEmpty()) {
          frame = stale.get(random.nextInt(stale.size()));
        } else {
          frame = randomFrame(random);
        }
        fed.add(frame);
        Step step = client.onFrame(frame);
        checkStep(step, CLIENT_CODES);
        if (step.next() instanceof Step.PersistTrust persist) {
          assertThat(ping).isFalse();
          assertThat(fed).as("frames that made the client trust").isEqualTo(serverSent);
          assertThat(serverDone[0]).as("the server's proof comes after it saved").isTrue();
          assertThat(persist.peerCertificate()).isEqualTo(Fixtures.SERVER_DER);
          trusted++;
          step = client.persisted(random.nextInt(4) > 0);
          checkStep(step, CLIENT_CODES);
        }
        if (step.next() instanceof Step.Succeeded && ping) {
          assertThat(frame.type()).isEqualTo(FrameType.PONG);
        }
        serve(server, step.send(), serverPending, serverSent, serverDone);
        ended = step.next() instanceof Step.Succeeded || step.next() instanceof Step.Failed;
        assertThat(client.isDone()).isEqualTo(ended);
      }
      if (!ended) {
        client.abort();
      }
      server.abort();
      stale.addAll(fed);
      stale.addAll(serverSent);
      keys.cancel(issued.id());
    }
    assertThat(trusted).isGreaterThan(20);
  }

  /** Carries the client's frames to the honest server, which saves its trust whenever asked. */
  private static void serve(
      ServerSession server,
      List<Frame> frames,
      Deque<Frame> pending,
      List<Frame> sent,
      boolean[] done) {
    for (Frame frame : frames) {
      if (done[0]) {
        return;
      }
      Step step = server.onFrame(frame);
      if (step.next() instanceof Step.PersistTrust) {
        step = server.persisted(true);
      }
      checkServerStep(step);
      pending.addAll(step.send());
      sent.addAll(step.send());
      done[0] = !(step.next() instanceof Step.AwaitFrame);
      if (!done[0]) {
        server.whileWaiting();
      }
    }
  }

  /**
   * Byte streams of valid exchanges, mutated (cut, bits flipped, bytes inserted, ranges repeated or
   * dropped), decoded at once and in random pieces: the same frames and the same refusal either
   * way, never another exception, and never more than one frame's bytes held back.
   */
  @Test
  void decode_mutatedStreams_giveFramesThenAtMostMalformed_howeverTheyArrive() throws Exception {
    Random random = new Random(0x5e55_0003L);
    SecureRandom secure = seeded(random.nextLong());
    PendingKeys keys = new PendingKeys(8, 1000, 8, clock, clock::nanoTime, secure);
    List<byte[]> streams = new ArrayList<>();
    for (Suite suite : Suite.values()) {
      PendingKeys.IssuedKey issued = keys.issue(suite, LIFETIME);
      Exchange exchange =
          new Exchange()
              .run(
                  client(PairingCode.parse(issued.code()), secure),
                  new ServerSession(Fixtures.HONEST, CLIENT, keys, der -> true, secure));
      streams.add(encode(exchange.clientFrames));
      streams.add(encode(exchange.serverFrames));
    }
    streams.add(encode(List.of(Frame.empty(FrameType.PING), Frame.error(ErrorReason.BUSY))));
    int malformed = 0;
    for (int i = 0; i < 20_000; i++) {
      byte[] bytes = mutate(random, streams.get(random.nextInt(streams.size())));
      Decoded whole = decodeAll(bytes, bytes.length, random);
      Decoded pieces = decodeAll(bytes, 1 + random.nextInt(8), random);
      assertThat(pieces.frames).isEqualTo(whole.frames);
      assertThat(pieces.malformed).isEqualTo(whole.malformed);
      if (whole.malformed) {
        malformed++;
      }
      // What was decoded is what a session may get: it must not break one either.
      ServerSession server = new ServerSession(Fixtures.HONEST, CLIENT, keys, der -> false, secure);
      for (Frame frame : whole.frames) {
        Step step = server.onFrame(frame);
        checkServerStep(step);
        if (step.next() instanceof Step.PersistTrust) {
          step = server.persisted(true);
        }
        if (!(step.next() instanceof Step.AwaitFrame)) {
          break;
        }
      }
      server.abort();
    }
    assertThat(malformed).as("streams refused").isBetween(2_000, 18_000);
  }

  private record Decoded(List<Frame> frames, boolean malformed) {}

  /**
   * Decodes {@code bytes} as the Netty decoder does, the bytes arriving {@code piece} at a time
   * (varied by {@code random}), until they run out or a frame is malformed.
   */
  private static Decoded decodeAll(byte[] bytes, int piece, Random random) {
    List<Frame> frames = new ArrayList<>();
    ByteBuffer buffer = ByteBuffer.allocate(bytes.length);
    int arrived = 0;
    while (true) {
      try {
        buffer.flip();
        int before = buffer.position();
        Optional<Frame> frame = Frames.decode(buffer);
        if (frame.isPresent()) {
          frames.add(frame.get());
          assertThat(Frames.encode(frame.get())).hasSize(buffer.position() - before);
          buffer.compact();
          continue;
        }
        assertThat(buffer.position()).as("an incomplete frame is left in place").isEqualTo(before);
        assertThat(buffer.remaining())
            .as("bytes held back for one frame")
            .isLessThan(PairingProtocol.HEADER_BYTES + PairingProtocol.MAX_BODY_BYTES);
        buffer.compact();
      } catch (MalformedFrameException e) {
        assertThat(e.getMessage()).isNotBlank();
        return new Decoded(frames, true);
      }
      if (arrived == bytes.length) {
        return new Decoded(frames, false);
      }
      int n =
          Math.min(
              bytes.length - arrived, piece == bytes.length ? piece : 1 + random.nextInt(piece));
      buffer.put(bytes, arrived, n);
      arrived += n;
    }
  }

  private static byte[] mutate(Random random, byte[] valid) {
    byte[] bytes = valid.clone();
    int mutations = 1 + random.nextInt(3);
    for (int m = 0; m < mutations; m++) {
      int at = bytes.length == 0 ? 0 : random.nextInt(bytes.length);
      switch (random.nextInt(6)) {
        case 0 -> bytes = Arrays.copyOf(bytes, at); // cut short
        case 1 -> {
          if (bytes.length > 0) {
            bytes[at] ^= (byte) (1 << random.nextInt(8));
          }
        }
        case 2 -> { // insert bytes, often a plausible header
          byte[] extra = new byte[1 + random.nextInt(6)];
          random.nextBytes(extra);
          FrameType[] types = FrameType.values();
          extra[0] = (byte) types[random.nextInt(types.length)].code();
          bytes = Mutations.splice(bytes, at, at, extra);
        }
        case 3 -> { // repeat a range
          int end = at + random.nextInt(bytes.length - at + 1);
          bytes = Mutations.splice(bytes, end, end, Arrays.copyOfRange(bytes, at, end));
        }
        case 4 -> { // drop a range
          int end = at + random.nextInt(Math.min(bytes.length - at, 40) + 1);
          bytes = Mutations.splice(bytes, at, end, new byte[0]);
        }
        default -> { // a length field set to anything
          if (bytes.length >= 3) {
            int header = random.nextInt(bytes.length - 2);
            bytes[header + 1] = (byte) random.nextInt(256);
            bytes[header + 2] = (byte) random.nextInt(256);
          }
        }
      }
    }
    return bytes;
  }

  private static byte[] encode(List<Frame> frames) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (Frame frame : frames) {
      byte[] bytes = Frames.encode(frame);
      out.write(bytes, 0, bytes.length);
    }
    return out.toByteArray();
  }

  private static ClientSession client(PairingCode code, SecureRandom secure) {
    return code instanceof Spake2Code spake2
        ? ClientSession.spake2(spake2, Fixtures.HONEST, secure)
        : ClientSession.hmac((HmacCode) code, Fixtures.HONEST);
  }

  /** A frame of any type with a random body; an ERROR's reason byte may be one nobody defined. */
  private static Frame randomFrame(Random random) {
    FrameType[] types = FrameType.values();
    FrameType type = types[random.nextInt(types.length)];
    byte[] body = new byte[type.bodyLength()];
    random.nextBytes(body);
    if (type == FrameType.SPAKE2_CLIENT_SHARE && random.nextBoolean()) {
      body[1] = 4; // uncompressed, as a share that might be a point
    }
    return wire(type, body);
  }

  /** {@code frame} with one to three bits of its body flipped (or unchanged, if it has none). */
  private static Frame flipped(Random random, Frame frame) {
    byte[] body = frame.body();
    if (body.length > 0) {
      for (int i = 1 + random.nextInt(3); i > 0; i--) {
        body[random.nextInt(body.length)] ^= (byte) (1 << random.nextInt(8));
      }
    }
    return wire(frame.type(), body);
  }

  /** A frame as it comes off the wire, so that any ERROR reason byte can be made. */
  private static Frame wire(FrameType type, byte[] body) {
    ByteBuffer bytes = ByteBuffer.allocate(PairingProtocol.HEADER_BYTES + body.length);
    bytes.put((byte) type.code()).putShort((short) body.length).put(body).flip();
    try {
      return Frames.decode(bytes).orElseThrow();
    } catch (MalformedFrameException e) {
      throw new AssertionError(e);
    }
  }

  private static void checkServerStep(Step step) {
    checkStep(step, SERVER_CODES);
  }

  private static void checkStep(Step step, Set<ErrorCode> codes) {
    for (Frame frame : step.send()) {
      assertThat(frame.body()).hasSize(frame.type().bodyLength());
    }
    if (step.next() instanceof Step.Failed failed) {
      assertThat(codes).contains(failed.code());
      assertThat(failed.message()).isNotBlank().doesNotContain("Exception");
      assertThat(step.send()).hasSizeLessThanOrEqualTo(1);
    }
  }
}
