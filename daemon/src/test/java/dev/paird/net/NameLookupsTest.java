package dev.paird.net;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

final class NameLookupsTest {
  private final ThreadPoolExecutor threads = NameLookups.newThreadPool();

  /** Answers for each name, given by the test when it chooses; counts the lookups it is asked. */
  private final Map<String, CompletableFuture<InetAddress[]>> answers = new ConcurrentHashMap<>();

  private final AtomicInteger asked = new AtomicInteger();

  private final NameLookups lookups = new NameLookups(threads, NameLookups.AT_ONCE, this::resolve);

  private InetAddress[] resolve(String host) throws UnknownHostException {
    asked.incrementAndGet();
    try {
      return answer(host).get(1, TimeUnit.MINUTES);
    } catch (ExecutionException e) {
      throw (UnknownHostException) e.getCause();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private CompletableFuture<InetAddress[]> answer(String host) {
    return answers.computeIfAbsent(host, name -> new CompletableFuture<>());
  }

  private static InetAddress[] address(int last) throws UnknownHostException {
    return new InetAddress[] {InetAddress.getByAddress(new byte[] {10, 0, 0, (byte) last})};
  }

  @AfterEach
  void stop() {
    answers.values().forEach(answer -> answer.complete(new InetAddress[0]));
    threads.shutdownNow();
  }

  @Test
  void lookupsBeyondTheBound_areRefusedAtOnce_withoutAskingTheResolver() throws Exception {
    CompletableFuture<InetAddress[]> first = lookups.lookUp("name-0").orElseThrow();
    for (int i = 1; i < NameLookups.AT_ONCE; i++) {
      assertThat(lookups.lookUp("name-" + i)).isPresent();
    }

    assertThat(lookups.lookUp("one-too-many")).isEmpty();
    assertThat(answers).doesNotContainKey("one-too-many");

    answer("name-0").complete(address(7));
    assertThat(first.get(1, TimeUnit.MINUTES)).containsExactly(address(7));
    assertThat(lookups.lookUp("after-one-ended")).isPresent();
    assertThat(lookups.lookUp("one-too-many")).isEmpty();
  }

  @Test
  void failures_areTheResolversOwn_andGiveTheirPlaceBack() throws Exception {
    for (int i = 0; i < NameLookups.AT_ONCE; i++) {
      CompletableFuture<InetAddress[]> lookup = lookups.lookUp("unknown").orElseThrow();
      answer("unknown").completeExceptionally(new UnknownHostException("unknown"));
      assertThat(lookup).failsWithin(1, TimeUnit.MINUTES);
    }
    for (int i = 0; i < NameLookups.AT_ONCE; i++) {
      assertThat(lookups.lookUp("name-" + i)).as("a place %d after failures", i).isPresent();
    }
  }

  /**
   * A lookup asked for by whatever its predecessor's result runs (as a {@code pair} answered at
   * once lets its requester send the next) is started although the predecessor's thread has not yet
   * gone back to the pool: the bound counts lookups in progress, and the threads are more.
   */
  @Test
  void lookupAskedWhileAnotherHandsOnItsResult_isNotRefused() throws Exception {
    CompletableFuture<InetAddress[]> first = lookups.lookUp("name-0").orElseThrow();
    for (int i = 1; i < NameLookups.AT_ONCE; i++) {
      assertThat(lookups.lookUp("name-" + i)).isPresent();
    }
    CompletableFuture<Optional<CompletableFuture<InetAddress[]>>> next = new CompletableFuture<>();
    // Runs on the thread that completes first, before that thread returns to the pool.
    first.whenComplete((addresses, failure) -> next.complete(lookups.lookUp("next")));

    answer("name-0").complete(address(1));
    Optional<CompletableFuture<InetAddress[]>> started = next.get(1, TimeUnit.MINUTES);

    assertThat(started).as("the lookup asked for while the first handed on its result").isPresent();
    answer("next").complete(address(2));
    assertThat(started.get().get(1, TimeUnit.MINUTES)).containsExactly(address(2));
    assertThat(lookups.lookUp("the fourth again")).isPresent();
    assertThat(lookups.lookUp("one-too-many")).as("still at most AT_ONCE").isEmpty();
  }
}
