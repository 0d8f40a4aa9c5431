package dev.paird.trust;

import dev.paird.io.AtomicFiles;
import dev.paird.io.LocalFiles;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The trusted certificates as a directory OpenSSL reads as its CApath ({@code openssl verify
 * -CApath}, nginx's and stunnel's {@code CApath}, mosquitto's {@code capath}): one PEM file per
 * certificate, named as {@code openssl rehash} names them, {@code HASH.N}, where HASH is the
 * subject's {@link SubjectHash} and N counts certificates with the same hash from 0, in list order.
 *
 * <p>Files are regular files, not links, each replaced atomically and durably; a change writes the
 * files whose content changes, then deletes the {@code HASH.N} files the list no longer names, then
 * fsyncs the directory. The directory as a whole changes file by file, not at once: while a change
 * is in flight a reader may see a mix of the two lists, never a torn file; a removed certificate is
 * gone when the change returns. Files with other names are left alone.
 *
 * <p>A certificate whose subject OpenSSL could not hash (a value invalid in its string type) is
 * left out: OpenSSL could not look it up by subject either.
 */
final class CaPathDirectory {
  static final Set<PosixFilePermission> DIRECTORY_PERMISSIONS =
      PosixFilePermissions.fromString("rwxr-xr-x");

  private CaPathDirectory() {}

  /**
   * Whether {@code name} is one this class owns in the directory, {@code openssl rehash}'s for
   * certificates: eight lowercase hex digits, a dot and decimal digits. Checked by hand where a
   * regular expression made a matcher for each of a hub's 10,000 names, twice at start-up.
   */
  static boolean isHashName(String name) {
    if (name.length() < 10 || name.charAt(8) != '.') {
      return false;
    }
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      boolean digit = c >= '0' && c <= '9';
      if (i < 8 ? !digit && !(c >= 'a' && c <= 'f') : i > 8 && !digit) {
        return false;
      }
    }
    return true;
  }

  /** The file names the directory holds for {@code peers}, in list order, and whose they are. */
  static Map<String, TrustedPeer> entries(List<TrustedPeer> peers, PeerEncodings encodings) {
    Map<String, Integer> counts = new HashMap<>();
    Map<String, TrustedPeer> entries = new LinkedHashMap<>();
    for (TrustedPeer peer : peers) {
      Optional<String> hash = encodings.of(peer).subjectHash();
      if (hash.isPresent()) {
        int n = counts.merge(hash.get(), 1, Integer::sum) - 1;
        entries.put(hash.get() + "." + n, peer);
      }
    }
    return entries;
  }

  /**
   * Makes {@code dir} hold exactly {@link #entries} of {@code peers} among its {@code HASH.N}
   * files, creating it if needed and removing temporary files a crash left. Files that already hold
   * the right bytes are not rewritten. Reads every file: for start-up, when what the directory
   * holds is not known. Returns whether it wrote or deleted a {@code HASH.N} file.
   */
  static boolean sync(
      Path dir, List<TrustedPeer> peers, TrustStore.AtomicWriter writer, PeerEncodings encodings)
      throws IOException {
    if (!LocalFiles.isOwnDirectory(dir)) {
      AtomicFiles.createDirectory(dir, DIRECTORY_PERMISSIONS);
    } else if (!Files.getPosixFilePermissions(dir).equals(DIRECTORY_PERMISSIONS)) {
      // Widened by someone: whoever else could write here could add trust anchors. What they
      // added under a HASH.N name goes below, as stale; the mode goes back now.
      Files.setPosixFilePermissions(dir, DIRECTORY_PERMISSIONS);
    }
    Map<String, TrustedPeer> wanted = entries(peers, encodings);
    List<Path> stale = new ArrayList<>();
    boolean removed = false;
    boolean changed = false;
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
      for (Path file : files) {
        String name = file.getFileName().toString();
        if (name.startsWith(".") && name.contains(".tmp-")) {
          // A temporary file of a write a crash interrupted.
          Files.deleteIfExists(file);
          removed = true;
        } else if (isHashName(name) && !wanted.containsKey(name)) {
          stale.add(file);
        }
      }
    }
    for (Map.Entry<String, TrustedPeer> entry : wanted.entrySet()) {
      Path file = dir.resolve(entry.getKey());
      byte[] content = encodings.of(entry.getValue()).certificatePem();
      if (!ConsumerFiles.holds(file, content)) {
        writer.write(file, content, AtomicFiles.PUBLIC);
        changed = true;
      }
    }
    for (Path file : stale) {
      Files.deleteIfExists(file);
      removed = true;
      changed = true;
    }
    if (removed) {
      AtomicFiles.fsyncDirectory(dir);
    }
    return changed;
  }

  /**
   * Changes the files of one subject hash in {@code dir} from {@code had}'s, as {@link #sync} or an
   * earlier update left them, to {@code wanted}'s: each list holds the peers of that hash in list
   * order, as {@link Index} keeps them. Writes the files whose certificate changes (the new peer's,
   * and those renumbered after a removed one), deletes those past the end of {@code wanted}, and
   * reads no file; what a change costs does not depend on the size of the list.
   */
  static void update(
      Path dir,
      String hash,
      List<TrustedPeer> had,
      List<TrustedPeer> wanted,
      TrustStore.AtomicWriter writer,
      PeerEncodings encodings)
      throws IOException {
    for (int n = 0; n < wanted.size(); n++) {
      TrustedPeer peer = wanted.get(n);
      if (n >= had.size() || !had.get(n).fingerprint().equals(peer.fingerprint())) {
        try {
          writer.write(
              dir.resolve(hash + "." + n), encodings.of(peer).certificatePem(), AtomicFiles.PUBLIC);
        } catch (IOException e) {
          if (!renumberByRenaming(dir, hash, had, wanted, n)) {
            throw e;
          }
          break;
        }
      }
    }
    boolean removed = false;
    for (int n = wanted.size(); n < had.size(); n++) {
      Files.deleteIfExists(dir.resolve(hash + "." + n));
      removed = true;
    }
    if (removed) {
      AtomicFiles.fsyncDirectory(dir);
    }
  }

  /**
   * For a removal whose write of {@code HASH.from} failed (a full disk): moves each file from there
   * on down one number instead, which needs no room, so that withdrawing trust does not depend on
   * it. The files below {@code from} are already {@code wanted}'s. A reader between two renames may
   * find one number missing and so, for that moment, not the peers of that subject past it. Returns
   * false, having renamed nothing, if the change is not a removal from {@code had}.
   */
  private static boolean renumberByRenaming(
      Path dir, String hash, List<TrustedPeer> had, List<TrustedPeer> wanted, int from)
      throws IOException {
    if (wanted.size() != had.size() - 1
        || !had.subList(from + 1, had.size()).equals(wanted.subList(from, wanted.size()))) {
      return false;
    }
    for (int n = from; n < wanted.size(); n++) {
      Files.move(
          dir.resolve(hash + "." + (n + 1)),
          dir.resolve(hash + "." + n),
          StandardCopyOption.ATOMIC_MOVE,
          StandardCopyOption.REPLACE_EXISTING);
    }
    return true;
  }

  /**
   * The listed peers by subject hash, each hash's in list order ({@link TrustFiles#ORDER}): what a
   * change needs to number the files of the one hash it touches, where walking the whole list twice
   * took a quarter of a change's own work at 10,000 peers. Not safe for use by several threads: the
   * store's writer keeps it, under its lock, and changes it only once a change is in place.
   */
  static final class Index {
    private final Map<String, List<TrustedPeer>> byHash = new HashMap<>();

    Index(List<TrustedPeer> peers, PeerEncodings encodings) {
      for (TrustedPeer peer : peers) {
        encodings
            .of(peer)
            .subjectHash()
            .ifPresent(hash -> byHash.computeIfAbsent(hash, h -> new ArrayList<>(1)).add(peer));
      }
      // In list order whatever the order of peers.
      byHash.values().forEach(list -> list.sort(TrustFiles.ORDER));
    }

    /** The peers of {@code hash}, in list order; unmodifiable. */
    List<TrustedPeer> peers(String hash) {
      List<TrustedPeer> peers = byHash.get(hash);
      return peers == null ? List.of() : Collections.unmodifiableList(peers);
    }

    /** {@code peers} with {@code peer} put in its place, replacing the entry of its fingerprint. */
    static List<TrustedPeer> with(List<TrustedPeer> peers, TrustedPeer peer) {
      List<TrustedPeer> next = without(peers, peer.fingerprint());
      next.add(peer);
      next.sort(TrustFiles.ORDER);
      return next;
    }

    /** {@code peers} without the entry with this fingerprint, if there is one. */
    static List<TrustedPeer> without(List<TrustedPeer> peers, String fingerprint) {
      List<TrustedPeer> next = new ArrayList<>(peers.size() + 1);
      for (TrustedPeer listed : peers) {
        if (!listed.fingerprint().equals(fingerprint)) {
          next.add(listed);
        }
      }
      return next;
    }

    /** Records that the peers of {@code hash} are now {@code peers}, in list order. */
    void set(String hash, List<TrustedPeer> peers) {
      if (peers.isEmpty()) {
        byHash.remove(hash);
      } else {
        byHash.put(hash, new ArrayList<>(peers));
      }
    }
  }
}
