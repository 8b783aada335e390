package dev.taskbound.core.broker;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/** A journal in memory: what a broker registered and the handles it attached. */
public final class RecordingUndo implements UndoRecorder {
  /** One journal entry. */
  public record Entry(String step, Map<String, Object> handle) {}

  private final List<Entry> entries = new ArrayList<>();
  private final Set<Integer> completed = new TreeSet<>();

  @Override
  public synchronized int register(String step, Map<String, ?> handle) {
    entries.add(new Entry(step, new LinkedHashMap<>(handle)));
    return entries.size() - 1;
  }

  @Override
  public synchronized void updateHandle(int id, Map<String, ?> handle) {
    entries.set(id, new Entry(entries.get(id).step(), new LinkedHashMap<>(handle)));
  }

  @Override
  public synchronized void completed(int id) {
    completed.add(id);
  }

  /** The ids the broker said it has already undone. */
  public synchronized Set<Integer> completedIds() {
    return Set.copyOf(completed);
  }

  public synchronized List<Entry> entries() {
    return List.copyOf(entries);
  }

  /** Replays the journal in reverse, as the session's teardown does. */
  public void replay(RevocationContext ctx) {
    List<Entry> all = entries();
    for (int i = all.size() - 1; i >= 0; i--) {
      Revocations.revoke(all.get(i).step(), all.get(i).handle(), ctx);
    }
  }
}
