package dev.paird.testing;

import java.util.ArrayDeque;
import java.util.Queue;
import java.util.concurrent.Executor;

/**
 * An executor that runs nothing until the test says so, on the test's thread: to hold work such as
 * a disk write in flight while something else happens. Not thread-safe.
 */
public final class ManualExecutor implements Executor {
  private final Queue<Runnable> queue = new ArrayDeque<>();

  @Override
  public void execute(Runnable task) {
    queue.add(task);
  }

  /** How many tasks are waiting. */
  public int pending() {
    return queue.size();
  }

  /** Runs every waiting task, including those they submit; returns whether any ran. */
  public boolean runAll() {
    boolean ran = false;
    for (Runnable task; (task = queue.poll()) != null; ) {
      task.run();
      ran = true;
    }
    return ran;
  }
}
