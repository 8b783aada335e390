package io.jenkins.plugins.taskbound;

import edu.umd.cs.findbugs.annotations.CheckForNull;
import edu.umd.cs.findbugs.annotations.NonNull;
import java.util.List;
import java.util.Objects;

/**
 * Folder-scoped rules from the global configuration, resolved for one item by its full name
 * ({@code team-a/agents/fix-bot}): every rule whose folder is the item's parent or an ancestor of it
 * applies. The profile comes from the nearest folder that names one (a profile the global ceiling
 * defines, so the core enforces it as ceiling ∩ profile ∩ task); "require the envelope" holds if the
 * global switch or any of those folders sets it. Rules can only narrow: none widens the global
 * ceiling, and a nearer folder cannot turn a farther folder's requirement off. No Jenkins types.
 */
final class FolderRules {
  /** One rule as configured: a folder's full name, a profile (or null), and "require the envelope". */
  record Rule(@NonNull String folder, @CheckForNull String profile, boolean requireEnvelope) {
    Rule {
      Objects.requireNonNull(folder, "folder");
      folder = trimSlashes(folder);
    }
  }

  /**
   * What applies to one item.
   *
   * @param profile the profile the item's blocks run under, or null for the job's own choice
   * @param profileFolder the folder that set it, for messages
   * @param requireEnvelope whether durable-task steps outside a block are refused for the item
   */
  record Resolved(@CheckForNull String profile, @CheckForNull String profileFolder, boolean requireEnvelope) {}

  private FolderRules() {}

  /** The rules that apply to the item {@code fullName}, with the global switch {@code requireEverywhere}. */
  @NonNull
  static Resolved forItem(@CheckForNull String fullName, @NonNull List<Rule> rules, boolean requireEverywhere) {
    String item = fullName == null ? "" : trimSlashes(fullName);
    String profile = null;
    String profileFolder = null;
    boolean require = requireEverywhere;
    for (Rule rule : rules) {
      if (rule.folder().isEmpty() || !item.startsWith(rule.folder() + "/")) {
        continue;
      }
      require |= rule.requireEnvelope();
      boolean nearer = profileFolder == null || rule.folder().length() > profileFolder.length();
      if (rule.profile() != null && nearer) {
        profile = rule.profile();
        profileFolder = rule.folder();
      }
    }
    return new Resolved(profile, profileFolder, require);
  }

  /**
   * The profile a block runs under: the folder's when one applies, refusing a different one the
   * job asked for.
   *
   * @return the profile to pass to the core, or null
   * @throws IllegalArgumentException naming both profiles and the folder when the job asks for another
   */
  @CheckForNull
  static String profile(@NonNull Resolved resolved, @CheckForNull String asked) {
    if (resolved.profile() == null) {
      return asked;
    }
    if (asked != null && !asked.equals(resolved.profile())) {
      throw new IllegalArgumentException("taskbound: profile '" + asked + "' is refused: the folder "
          + resolved.profileFolder() + " runs every block under profile '" + resolved.profile() + "' (set by an"
          + " administrator in Manage Jenkins » System » Taskbound); leave 'profile' out or set it to '"
          + resolved.profile() + "'");
    }
    return resolved.profile();
  }

  private static String trimSlashes(String s) {
    String t = s.strip();
    while (t.startsWith("/")) {
      t = t.substring(1);
    }
    while (t.endsWith("/")) {
      t = t.substring(0, t.length() - 1);
    }
    return t;
  }
}
