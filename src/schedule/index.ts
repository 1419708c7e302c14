/** In-process scheduling: one timer for many fixed-phase scrape slots (§9). */
export {
  type Clock,
  MAX_TIMER_DELAY_MS,
  settlesWithin,
  systemClock,
  type TimerHandle,
} from './clock.js';
export {
  ScheduleError,
  SkipReason,
  type SlotEvent,
  type SlotPhase,
  SlotScheduler,
  type SlotSchedulerOptions,
} from './slot-scheduler.js';
export { type QueuedTimer, TimerQueue } from './timer-queue.js';
