/**
 * Loads each job type's handler on first use: a worker evaluates the code of the types it
 * runs, and a no-op job's cold start pays for no PDF or document library. Only the
 * registry imports this module, and only in functions that run jobs (see `handlers` there).
 */
export const simulate = async () => (await import('./system-simulate')).simulate;
export const extractResume = async () => (await import('./resume/extract')).extractResume;
export const analyzeResume = async () => (await import('./resume/analyze')).analyzeResume;
export const renderPdfJob = async () => (await import('./pdf-render')).renderPdfJob;
export const sendEmail = async () => (await import('./email-send')).sendEmail;
export const syncEntity = async () => (await import('./data-sync')).syncEntity;
export const rollup = async () => (await import('./analytics-rollup')).rollup;
export const cleanup = async () => (await import('./system-cleanup')).cleanup;
export const notifyUser = async () => (await import('./user-notify')).notifyUser;
export const exportJobs = async () => (await import('./data-export')).exportJobs;
/** The AI types read their API key while loading (see warmUp). */
const aiHandlers = async () => {
  const module = await import('./ai/ai-handlers');
  await module.warmUp();
  return module;
};
export const aiComplete = async () => (await aiHandlers()).aiComplete;
export const aiEnhanceResume = async () => (await aiHandlers()).aiEnhanceResume;
