export { deadLetterSubject, Subjects, Topology } from './subjects';
export type { EventSubject } from './subjects';
