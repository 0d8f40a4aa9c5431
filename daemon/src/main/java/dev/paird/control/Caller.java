package dev.paird.control;

import io.netty.util.AttributeKey;

/**
 * Who is on the other end of a control connection, from the kernel (SO_PEERCRED): the effective uid
 * and gid of the process that connected, and its pid.
 */
public record Caller(int uid, int gid, int pid) {
  /** Used where credentials are unavailable (tests over embedded channels). */
  public static final Caller UNKNOWN = new Caller(-1, -1, -1);

  /** Where the first handler of a control connection leaves the caller for the others. */
  static final AttributeKey<Caller> ATTRIBUTE = AttributeKey.valueOf(Caller.class, "caller");
}
