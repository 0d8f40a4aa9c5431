package dev.paird.control;

/** Who is on the other end of a control connection, from the kernel (SO_PEERCRED). */
public record Caller(int uid, int gid, int pid) {
  /** Used where credentials are unavailable (tests over embedded channels). */
  public static final Caller UNKNOWN = new Caller(-1, -1, -1);
}
