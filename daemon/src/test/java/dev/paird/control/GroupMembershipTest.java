package dev.paird.control;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Group membership from a process's status file, or else from passwd and group files. */
final class GroupMembershipTest {
  private static final int PAIRD = 990;

  @TempDir Path dir;

  private GroupMembership membership;

  @BeforeEach
  void files() throws Exception {
    Files.writeString(
        dir.resolve("passwd"),
        ""
            + "root:x:0:0:root:/root:/bin/bash\n"
            + "alice:x:1000:1000::/home/alice:/bin/bash\n"
            + "bob:x:1001:1001::/home/bob:/bin/bash\n"
            + "svc:x:1002:990::/:/usr/sbin/nologin\n");
    Files.writeString(
        dir.resolve("group"),
        "" + "root:x:0:\n" + "paird:x:990:carol, alice\n" + "alice:x:1000:\n");
    Files.createDirectories(dir.resolve("proc"));
    membership =
        new GroupMembership(dir.resolve("proc"), dir.resolve("passwd"), dir.resolve("group"));
  }

  private void process(int pid, String uids, String groups) throws Exception {
    Path status = Files.createDirectories(dir.resolve("proc/" + pid)).resolve("status");
    Files.writeString(
        status,
        "Name:\tpairctl\nUid:\t"
            + uids
            + "\nGid:\t1000\t1000\t1000\t1000\n"
            + "Groups:\t"
            + groups
            + "\n");
  }

  @Test
  void process_withTheGroupAmongItsGroups_isAMember_evenIfTheDatabaseSaysNo() throws Exception {
    process(40, "1001\t1001\t1001\t1001", "1001 990");

    assertThat(membership.isMember(new Caller(1001, 1001, 40), PAIRD)).isTrue();
  }

  @Test
  void process_withoutTheGroup_isNot_evenIfTheDatabaseSaysYes() throws Exception {
    // The process dropped the group (or the user was added after logging in): the kernel would
    // not let it open a 0660 socket either.
    process(41, "1000\t1000\t1000\t1000", "1000");

    assertThat(membership.isMember(new Caller(1000, 1000, 41), PAIRD)).isFalse();
  }

  @Test
  void hiddenOrGoneProcess_fallsBackToTheDatabase() {
    assertThat(membership.isMember(new Caller(1000, 1000, 42), PAIRD)).as("listed member").isTrue();
    assertThat(membership.isMember(new Caller(1002, 1002, 42), PAIRD)).as("primary group").isTrue();
    assertThat(membership.isMember(new Caller(1001, 1001, 42), PAIRD)).isFalse();
    assertThat(membership.isMember(new Caller(4242, 4242, 42), PAIRD)).as("unknown uid").isFalse();
  }

  @Test
  void processNowOfAnotherUser_isNotTrusted_theDatabaseDecides() throws Exception {
    // The pid was reused, or the process changed its effective uid since it connected.
    process(43, "1001\t0\t0\t0", "0 990");

    assertThat(membership.isMember(new Caller(1001, 1001, 43), PAIRD)).isFalse();
  }
}
