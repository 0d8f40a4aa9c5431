package dev.paird.control;

import java.util.Optional;

/**
 * Who may use the control socket: root, paird's own user and the members of the socket's group. The
 * socket file's mode (0660) is the first lock; this is the second, checked on every accepted
 * connection, so that a socket made world-writable by mistake (or by a chmod in a test) still lets
 * nobody else in.
 */
final class ControlAccess {
  /** Whether a caller is a member of a group, as far as the system can tell. */
  interface Membership {
    boolean isMember(Caller caller, int gid);
  }

  /** Lets only root in: the state before the socket's owner and group are known. */
  static final ControlAccess ROOT_ONLY = new ControlAccess(0, -1, "", (caller, gid) -> false);

  private final int ownUid;
  private final int groupId;
  private final String groupName;
  private final Membership membership;

  /**
   * @param ownUid paird's own (effective) uid
   * @param groupId the socket file's group, whose members may connect
   * @param groupName its name, for messages
   */
  ControlAccess(int ownUid, int groupId, String groupName, Membership membership) {
    this.ownUid = ownUid;
    this.groupId = groupId;
    this.groupName = groupName;
    this.membership = membership;
  }

  /** Empty if {@code caller} may use the socket, else why not, for the caller and the log. */
  Optional<String> refusal(Caller caller) {
    if (caller.uid() < 0) {
      return Optional.of("paird could not read the credentials of this connection");
    }
    if (caller.uid() == 0 || caller.uid() == ownUid) {
      return Optional.empty();
    }
    if (groupId >= 0 && (caller.gid() == groupId || membership.isMember(caller, groupId))) {
      return Optional.empty();
    }
    return Optional.of(
        "uid "
            + caller.uid()
            + " may not use paird's control socket: only root,"
            + " paird's user (uid "
            + ownUid
            + ") and members of the group '"
            + groupName
            + "' (gid "
            + groupId
            + ") may; ask an administrator to add you to that group");
  }
}
