package dev.paird.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.paird.trust.HubFill;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SECURITY.md, "Files": a crash at any moment leaves the list before or after the change in flight,
 * never brings back a peer whose removal paird answered, and the outputs other software reads are
 * what the list says once paird has started again. A real paird is sent {@code remove} over its
 * control socket and killed with SIGKILL at a random moment around it, round after round; after
 * each restart the list ({@code list-trusted}), {@code trusted.pem}, {@code trusted.p12} and {@code
 * trusted-certs/} are read with the JDK alone and compared. SIGKILL loses nothing the kernel was
 * given; what a power cut adds is covered by {@code TrustFileDurabilityIT}, which watches the
 * fsyncs.
 */
final class RemoveCrashIT {
  /** Rounds of remove-and-kill; {@code -Dpaird.removeCrashRounds=N} to change. */
  private static final int ROUNDS = Integer.getInteger("paird.removeCrashRounds", 8);

  /**
   * A first guess at how long a remove takes to be answered, before one has been seen; kills come
   * at random within twice the longest seen, so that they land before, during and after it. A round
   * whose kill came first doubles the guess, up to {@link #LONGEST_GUESS_MICROS}.
   */
  private static final long FIRST_GUESS_MICROS = 20_000;

  private static final long LONGEST_GUESS_MICROS = 2_000_000;

  @TempDir Path dir;

  @Test
  void sigkillAroundRemoves_neverBringsBackAnAnsweredRemoval_andTheOutputsFollowTheList()
      throws Exception {
    long seed = new SecureRandom().nextLong();
    Random random = new Random(seed);
    PairdProcess.Options options = PairdProcess.in(dir);
    Path state = dir.resolve("state");
    HubFill.main(new String[] {state.toString(), String.valueOf(ROUNDS + 4)});
    Set<String> removed = new HashSet<>();
    long longestMicros = FIRST_GUESS_MICROS;
    int answered = 0;
    int landedUnanswered = 0;
    String unanswered = null;

    for (int round = 1; round <= ROUNDS; round++) {
      String context = "seed " + seed + ", round " + round;
      PairdProcess paird = options.start();
      try {
        Set<String> listed = checkedList(options.socket(), state, context);
        assertThat(stillListed(listed, removed))
            .as("%s: answered removals listed again", context)
            .isEmpty();
        if (unanswered != null && !listed.contains(unanswered)) {
          landedUnanswered++; // killed after its writes, before its answer: the "after" state
        }
        String victim = new ArrayList<>(listed).get(random.nextInt(listed.size()));

        long sent = System.nanoTime();
        CompletableFuture<Long> answerAt = sendRemove(options.socket(), victim);
        // The attack's timing, not a wait for anything: the kill lands before, during or after
        // the remove's writes.
        LockSupport.parkNanos(
            TimeUnit.MICROSECONDS.toNanos((long) (random.nextDouble() * 2 * longestMicros)));
        paird.process.destroyForcibly();
        assertThat(paird.process.waitFor(30, TimeUnit.SECONDS)).isTrue();
        Long at = answerAt.get(30, TimeUnit.SECONDS);
        if (at != null) {
          removed.add(victim);
          answered++;
          unanswered = null;
          longestMicros = Math.max(longestMicros, TimeUnit.NANOSECONDS.toMicros(at - sent));
        } else {
          unanswered = victim;
          longestMicros = Math.min(2 * longestMicros, LONGEST_GUESS_MICROS);
        }
      } finally {
        paird.close();
      }
    }

    PairdProcess paird = options.start();
    try {
      Set<String> listed = checkedList(options.socket(), state, "seed " + seed + ", at the end");
      assertThat(stillListed(listed, removed)).as("answered removals listed again").isEmpty();
      if (unanswered != null && !listed.contains(unanswered)) {
        landedUnanswered++;
      }
      assertThat(answered)
          .as(
              "seed %d: rounds whose remove was answered before the kill, whose peers were checked",
              seed)
          .isPositive();
      System.out.printf(
          "RemoveCrashIT: seed %d, %d rounds: %d removals answered before the kill, %d on disk"
              + " but unanswered, %d undone; kills within %d ms at the end; %d peers left%n",
          seed,
          ROUNDS,
          answered,
          landedUnanswered,
          ROUNDS - answered - landedUnanswered,
          2 * longestMicros / 1000,
          listed.size());
    } finally {
      paird.close();
    }
  }

  /**
   * The fingerprints {@code list-trusted} gives, after checking that {@code trusted.pem}, {@code
   * trusted.p12} and {@code trusted-certs/} hold exactly those certificates.
   */
  private static Set<String> checkedList(Path socket, Path state, String context) throws Exception {
    JsonNode answer =
        Pairctl.JSON.readTree(Pairctl.exchange(socket, "{\"v\":1,\"command\":\"list-trusted\"}\n"));
    Set<String> listed = new TreeSet<>();
    for (JsonNode peer : answer.path("result").path("peers")) {
      listed.add(peer.path("fingerprint").textValue());
    }
    assertThat(listed).as("%s: list-trusted", context).isNotEmpty();

    OutputCertificates.assertHoldExactly(state, listed, context);
    return listed;
  }

  private static Set<String> stillListed(Set<String> listed, Set<String> removed) {
    Set<String> both = new TreeSet<>(listed);
    both.retainAll(removed);
    return both;
  }

  /**
   * Sends {@code remove} on a connection of its own; the future completes with the {@link
   * System#nanoTime} at which a successful answer was read, or null if paird died without writing
   * one (what it wrote before dying is still read).
   */
  private static CompletableFuture<Long> sendRemove(Path socket, String fingerprint)
      throws Exception {
    SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
    channel.connect(UnixDomainSocketAddress.of(socket));
    ByteBuffer request =
        ByteBuffer.wrap(
            ("{\"v\":1,\"command\":\"remove\",\"args\":{\"fingerprint\":\""
                    + fingerprint
                    + "\"}}\n")
                .getBytes(StandardCharsets.UTF_8));
    while (request.hasRemaining()) {
      channel.write(request);
    }
    BufferedReader in =
        new BufferedReader(
            new InputStreamReader(Channels.newInputStream(channel), StandardCharsets.UTF_8));
    return CompletableFuture.supplyAsync(
        () -> {
          try (channel) {
            String line = Pairctl.readLineOrEnd(in, Duration.ofSeconds(30));
            long at = System.nanoTime();
            return line != null && Pairctl.JSON.readTree(line).path("ok").booleanValue()
                ? at
                : null;
          } catch (Exception e) {
            return null;
          }
        });
  }
}
