package io.jenkins.plugins.taskbound;

import edu.umd.cs.findbugs.annotations.CheckForNull;
import edu.umd.cs.findbugs.annotations.NonNull;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.function.BiPredicate;

/**
 * Who may answer a block's approval requests on the build page (issue 16), as the {@code input}
 * step's {@code submitter}: a comma-separated list of Jenkins user ids and group names. Empty (the
 * default): anyone with {@code Item.BUILD} on the job, as {@code input} without a submitter, since
 * whoever may build the job may already start the block's agent. Named: only those users and the
 * members of those groups, whether or not they may build (a reviewer need not be a builder), and
 * not Jenkins administrators by virtue of that alone (unlike {@code input}): the list is the
 * separation of duties a team asked for. Needs no Jenkins type; the caller brings Jenkins' id
 * comparisons.
 */
final class ApproverList {
  private ApproverList() {}

  /**
   * The names in {@code text}: split on commas, each stripped, empty ones and repeats dropped.
   *
   * @throws IllegalArgumentException naming the entry, if one holds a control character
   */
  @NonNull
  static List<String> parse(@CheckForNull String text) {
    List<String> names = new ArrayList<>();
    if (text == null) {
      return names;
    }
    String[] entries = text.split(",", -1);
    for (int i = 0; i < entries.length; i++) {
      String name = entries[i].strip();
      if (name.chars().anyMatch(Character::isISOControl)) {
        throw new IllegalArgumentException("taskbound: 'approvers' entry " + (i + 1) + " holds a control"
            + " character; accepted: Jenkins user ids and group names, separated by commas");
      }
      if (!name.isEmpty() && !names.contains(name)) {
        names.add(name);
      }
    }
    return List.copyOf(names);
  }

  /**
   * Whether a user may answer: with no names, exactly when {@code mayBuild}; with names, when the
   * user's id or one of their groups ({@code authorities}) is named, as Jenkins compares ids.
   *
   * @param sameUser Jenkins' user id comparison (the security realm's {@code IdStrategy})
   * @param sameGroup Jenkins' group name comparison
   */
  static boolean mayAnswer(@NonNull List<String> approvers, boolean mayBuild, @NonNull String userId,
      @NonNull Collection<String> authorities, @NonNull BiPredicate<String, String> sameUser,
      @NonNull BiPredicate<String, String> sameGroup) {
    if (approvers.isEmpty()) {
      return mayBuild;
    }
    for (String name : approvers) {
      if (sameUser.test(name, userId) || authorities.stream().anyMatch(a -> sameGroup.test(name, a))) {
        return true;
      }
    }
    return false;
  }

  /** What the build page says about who may answer. */
  @NonNull
  static String describe(@NonNull List<String> approvers) {
    return approvers.isEmpty() ? "anyone who may build this job"
        : "only " + String.join(", ", approvers) + " (users, or members of these groups)";
  }
}
